// SPDX-License-Identifier: MIT
/*
 * procfs: the whole board state as text, one read.
 *
 * /proc/kbridge has one record per line, for example
 *   line 0 relay kind=output value=1 max=1 flags=- changes=3 source=ioctl changed_ns=...
 * This prints "<name>=<value>" for each line. procfs never changes state:
 * reading is all it offers.
 *
 * Build: cc -I kmod/uapi -o kbridge-procfs examples/c/procfs.c
 * Run:   kbridge-procfs
 */
#include <stdio.h>
#include <string.h>

#include "kbridge.h"

int main(void)
{
	char rec[512], name[KBRIDGE_NAME_LEN];
	unsigned int index, value;
	FILE *f = fopen(KBRIDGE_PROC_PATH, "r");

	if (!f) {
		perror(KBRIDGE_PROC_PATH " (is kbridge loaded and bound?)");
		return 1;
	}
	while (fgets(rec, sizeof(rec), f)) {
		/* Only "line" records; the others are abi, board, ops, events, netlink. */
		if (sscanf(rec, "line %u %31s kind=%*s value=%u", &index, name, &value) == 3)
			printf("%s=%u\n", name, value);
	}
	fclose(f);
	return 0;
}
