// SPDX-License-Identifier: MIT
/*
 * sysfs: one file per attribute, and poll() to wait for a change.
 *
 * Each line is a directory under /sys/class/misc/kbridge/device/lines/<name>/.
 * Writing its `value` sets the line; the kernel calls sysfs_notify() on every
 * change, which wakes poll() with POLLPRI|POLLERR. After a wake-up, seek back
 * to 0 and read again: sysfs files give their whole content from offset 0.
 *
 * Build: cc -I kmod/uapi -o kbridge-sysfs examples/c/sysfs.c
 * Run:   kbridge-sysfs <line> [set <value> | watch <changes> <timeout-ms>]
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbridge.h"

static int read_value(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

int main(int argc, char **argv)
{
	char path[256];
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: %s <line> [set <value> | watch <changes> <timeout-ms>]\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/%s/value", KBRIDGE_SYSFS_LINES_DIR, argv[1]);
	if (argc == 4 && !strcmp(argv[2], "set")) {
		fd = open(path, O_WRONLY);
		/* The kernel takes "<decimal>[\n]"; EPERM for an input line, EINVAL above max. */
		if (fd < 0 || write(fd, argv[3], strlen(argv[3])) < 0) {
			perror(path);
			return 1;
		}
		close(fd);
		return 0;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	printf("%s=%d\n", argv[1], read_value(fd)); /* this read also arms poll() */
	fflush(stdout);
	if (argc == 5 && !strcmp(argv[2], "watch")) {
		int left = atoi(argv[3]), timeout = atoi(argv[4]);

		while (left-- > 0) {
			struct pollfd p = { .fd = fd, .events = POLLPRI | POLLERR };
			int r = poll(&p, 1, timeout);

			if (r <= 0) {
				fprintf(stderr, r ? "poll failed\n" : "timeout\n");
				return 1;
			}
			printf("%s=%d\n", argv[1], read_value(fd));
			fflush(stdout);
		}
	}
	close(fd);
	return 0;
}
