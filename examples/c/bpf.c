// SPDX-License-Identifier: MIT
/*
 * eBPF map: the board state as the kbridge BPF program mirrors it, read with
 * the raw bpf(2) system call (no libbpf).
 *
 * `kbridge bpf attach` loads a program on the kbridge:kbridge_line_change
 * tracepoint and pins its maps under /sys/fs/bpf/kbridge/. `lines` is an
 * array map: key = line index (u32), value = struct kbridge_bpf_line, 32
 * bytes (docs/bpf.md): seq, timestamp_ns, changes (u64 each), value (u32),
 * source, kind, flags (u8; KBRIDGE_BPF_LINE_VALID = holds a state).
 * BPF_OBJ_GET opens the pin, BPF_MAP_LOOKUP_ELEM reads one entry. Any BPF
 * tool can do the same (`bpftool map dump pinned ...`).
 *
 * Build: cc -I kmod/uapi -o kbridge-bpf examples/c/bpf.c
 * Run:   kbridge-bpf <num-lines>
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* struct kbridge_bpf_line (the `lines` map's value) and the pin names come
 * from kbridge-bpf.h, which kbridge.h includes. */
#include "kbridge.h"

#define LINES_PIN KBRIDGE_BPF_PIN_DIR "/" KBRIDGE_BPF_PIN_LINES

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv)
{
	union bpf_attr attr;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s <num-lines>\n", argv[0]);
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (__u64)(unsigned long)LINES_PIN;
	attr.file_flags = BPF_F_RDONLY;
	fd = (int)bpf(BPF_OBJ_GET, &attr);
	if (fd < 0) {
		perror(LINES_PIN " (run `kbridge bpf attach` first)");
		return 1;
	}
	for (__u32 key = 0; key < (__u32)atoi(argv[1]); key++) {
		struct kbridge_bpf_line v;

		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (__u32)fd;
		attr.key = (__u64)(unsigned long)&key;
		attr.value = (__u64)(unsigned long)&v;
		if (bpf(BPF_MAP_LOOKUP_ELEM, &attr) < 0) {
			perror("BPF_MAP_LOOKUP_ELEM");
			return 1;
		}
		if (v.flags & KBRIDGE_BPF_LINE_VALID)
			printf("line %u=%u changes=%llu seq=%llu\n", key, v.value,
			       (unsigned long long)v.changes, (unsigned long long)v.seq);
		else
			printf("line %u: no state yet\n", key);
	}
	close(fd);
	return 0;
}
