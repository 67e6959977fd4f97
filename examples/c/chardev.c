// SPDX-License-Identifier: MIT
/*
 * Character device: text commands in, binary event records out.
 *
 * Every open() of /dev/kbridge gets its own cursor in the board's event
 * stream: read() returns whole struct kbridge_event records for the changes
 * made after open(), poll() says when there are some. A reader that falls too
 * far behind loses the oldest ones; the next record's `dropped` says how many.
 * write() takes text commands ("set <line> <value>", "toggle <line>", one per
 * line), applied all or nothing.
 *
 * Build: cc -I kmod/uapi -o kbridge-chardev examples/c/chardev.c
 * Run:   kbridge-chardev write "set relay 1"
 *        kbridge-chardev read <records> <timeout-ms>
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbridge.h"

static const char *source_name(unsigned int s)
{
	static const char *const names[] = { "init", "hardware", "sysfs", "chardev",
					     "ioctl", "netlink", "kernel" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

int main(int argc, char **argv)
{
	int fd;

	if (argc == 3 && !strcmp(argv[1], "write")) {
		fd = open(KBRIDGE_DEV_PATH, O_WRONLY);
		if (fd < 0 || write(fd, argv[2], strlen(argv[2])) < 0) {
			perror("write " KBRIDGE_DEV_PATH);
			return 1;
		}
		close(fd);
		return 0;
	}
	if (argc != 4 || strcmp(argv[1], "read")) {
		fprintf(stderr, "usage: %s write <commands> | read <records> <timeout-ms>\n", argv[0]);
		return 2;
	}
	fd = open(KBRIDGE_DEV_PATH, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror(KBRIDGE_DEV_PATH);
		return 1;
	}
	printf("ready\n"); /* changes from now on are ours to read */
	fflush(stdout);
	for (int left = atoi(argv[2]); left > 0;) {
		struct kbridge_event ev[8];
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, atoi(argv[3])) <= 0 || (p.revents & (POLLHUP | POLLERR))) {
			fprintf(stderr, "no event (timeout, or the board went away)\n");
			return 1;
		}
		n = read(fd, ev, sizeof(ev)); /* whole records only */
		if (n < 0) {
			perror("read");
			return 1;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(ev[0]) && left > 0; i++, left--)
			printf("seq=%llu line=%u %u->%u source=%s dropped=%u\n",
			       (unsigned long long)ev[i].seq, ev[i].line, ev[i].old_value,
			       ev[i].new_value, source_name(ev[i].source), ev[i].dropped);
		fflush(stdout);
	}
	close(fd);
	return 0;
}
