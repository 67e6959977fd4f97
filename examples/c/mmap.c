// SPDX-License-Identifier: MIT
/*
 * mmap: the board state in a shared, read-only page; no system call per read.
 *
 * The kernel updates the page on every change under a seqcount: readers retry
 * while an update is in progress (kbridge_shared_read_value() in kbridge.h).
 * The page has values, change counts and times; names come from the ioctl
 * LINE_INFO once. Writable or executable mappings are refused.
 *
 * Build: cc -I kmod/uapi -o kbridge-mmap examples/c/mmap.c
 * Run:   kbridge-mmap [<line> <expected-value> <timeout-ms>]
 *        (without arguments: print every line; with: wait, by polling the
 *        page, until the line has the value)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kbridge.h"

int main(int argc, char **argv)
{
	const volatile struct kbridge_shared_state *s;
	char names[KBRIDGE_MAX_LINES][KBRIDGE_NAME_LEN];
	unsigned int n;
	int fd = open(KBRIDGE_DEV_PATH, O_RDONLY);

	if (fd < 0) {
		perror(KBRIDGE_DEV_PATH);
		return 1;
	}
	s = mmap(NULL, KBRIDGE_SHARED_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (s->magic != KBRIDGE_SHARED_MAGIC || s->abi_version != KBRIDGE_ABI_VERSION) {
		fprintf(stderr, "not a kbridge v%d page\n", KBRIDGE_ABI_VERSION);
		return 1;
	}
	n = s->num_lines; /* the header never changes after probe */
	for (unsigned int i = 0; i < n; i++) {
		struct kbridge_line_info li = { .size = sizeof(li), .index = i };

		if (ioctl(fd, KBRIDGE_IOC_LINE_INFO, &li) < 0)
			return 1;
		memcpy(names[i], li.name, sizeof(names[i]));
	}
	if (argc == 4) {
		unsigned int want = (unsigned int)atoi(argv[2]);
		struct timespec tick = { 0, 1000000 }; /* 1 ms */

		for (int ms = atoi(argv[3]); ms >= 0; ms--) {
			for (unsigned int i = 0; i < n; i++)
				if (!strcmp(names[i], argv[1]) && kbridge_shared_read_value(s, i) == want) {
					printf("%s=%u\n", argv[1], want);
					return 0;
				}
			nanosleep(&tick, NULL);
		}
		fprintf(stderr, "timeout: %s never read %u\n", argv[1], want);
		return 1;
	}
	for (unsigned int i = 0; i < n; i++)
		printf("%s=%u\n", names[i], kbridge_shared_read_value(s, i));
	return 0;
}
