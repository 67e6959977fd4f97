// SPDX-License-Identifier: MIT
/*
 * ioctl: binary, versioned requests on /dev/kbridge.
 *
 * Every struct starts with `size` (the caller's sizeof), so old programs keep
 * working when a struct grows. BOARD_INFO and LINE_INFO describe the board;
 * GET_VALUES/SET_VALUES read or write any set of lines atomically (bit i of
 * `mask` is line i); TOGGLE flips lines. A refused request (an input line, a
 * value above the maximum, an unknown line) changes nothing. Writes need the
 * file open for writing.
 *
 * Build: cc -I kmod/uapi -o kbridge-ioctl examples/c/ioctl.c
 * Run:   kbridge-ioctl                 (list the lines)
 *        kbridge-ioctl set <line> <value> [<line> <value>...]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kbridge.h"

static int line_index(int fd, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++) {
		struct kbridge_line_info li = { .size = sizeof(li), .index = i };

		if (ioctl(fd, KBRIDGE_IOC_LINE_INFO, &li) == 0 && !strcmp((char *)li.name, name))
			return (int)i;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct kbridge_board_info bi = { .size = sizeof(bi) };
	int fd = open(KBRIDGE_DEV_PATH, argc > 1 ? O_RDWR : O_RDONLY);

	if (fd < 0 || ioctl(fd, KBRIDGE_IOC_BOARD_INFO, &bi) < 0) {
		perror(KBRIDGE_DEV_PATH);
		return 1;
	}
	if (argc > 1) {
		struct kbridge_values v = { .size = sizeof(v) };

		if (strcmp(argv[1], "set") || argc % 2) {
			fprintf(stderr, "usage: %s [set <line> <value>...]\n", argv[0]);
			return 2;
		}
		for (int a = 2; a + 1 < argc; a += 2) {
			int i = line_index(fd, bi.num_lines, argv[a]);

			if (i < 0) {
				fprintf(stderr, "no line %s\n", argv[a]);
				return 1;
			}
			v.mask |= 1ULL << i;
			v.values[i] = (__u32)strtoul(argv[a + 1], NULL, 0);
		}
		if (ioctl(fd, KBRIDGE_IOC_SET_VALUES, &v) < 0) {
			fprintf(stderr, "SET_VALUES: %s (nothing changed)\n", strerror(errno));
			return 1;
		}
		printf("seq=%llu\n", (unsigned long long)v.seq);
		return 0;
	}
	printf("board %s: ABI %u, %u lines, seq %llu\n", (char *)bi.name, bi.abi_version,
	       bi.num_lines, (unsigned long long)bi.seq);
	for (unsigned int i = 0; i < bi.num_lines; i++) {
		struct kbridge_line_info li = { .size = sizeof(li), .index = i };

		if (ioctl(fd, KBRIDGE_IOC_LINE_INFO, &li) < 0) {
			perror("LINE_INFO");
			return 1;
		}
		printf("%s=%u max=%u kind=%u changes=%llu\n", (char *)li.name, li.value,
		       li.max_value, li.kind, (unsigned long long)li.changes);
	}
	close(fd);
	return 0;
}
