// SPDX-License-Identifier: MIT
/*
 * Generic netlink, with plain sockets: ask the controller for the family's
 * id and event group, dump every line (KBRIDGE_CMD_LINE_GET with NLM_F_DUMP),
 * then, if asked, join the `events` group and print change events.
 *
 * Every message is a netlink header, a generic netlink header (command,
 * version) and attributes (length, type, payload, padded to 4 bytes). The
 * numbers are in kbridge-nl-uapi.h, generated from docs/netlink/kbridge.yaml;
 * `ynl` and libnl users get the same from the spec.
 *
 * Build: cc -I kmod/uapi -o kbridge-netlink examples/c/netlink.c
 * Run:   kbridge-netlink [events <count> <timeout-ms>]
 */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kbridge.h"

#define ATTR_OK(a, end) ((char *)(a) + sizeof(*(a)) <= (end) && (a)->nla_len >= sizeof(*(a)) && \
			 (char *)(a) + (a)->nla_len <= (end))
#define ATTR_NEXT(a) ((struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))
#define ATTR_DATA(a) ((void *)((char *)(a) + NLA_HDRLEN))

static char buf[16384];

/* Sends one request: `cmd` to `family`, with at most one string attribute. */
static int request(int fd, __u16 family, __u8 cmd, __u16 flags, __u16 attr, const char *str)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char attrs[64];
	} req = { 0 };
	size_t len = NLMSG_LENGTH(GENL_HDRLEN);

	req.n.nlmsg_type = family;
	req.n.nlmsg_flags = NLM_F_REQUEST | flags;
	req.g.cmd = cmd;
	req.g.version = family == GENL_ID_CTRL ? 2 : KBRIDGE_FAMILY_VERSION;
	if (str) {
		struct nlattr *a = (struct nlattr *)((char *)&req + len);

		a->nla_type = attr;
		a->nla_len = (__u16)(NLA_HDRLEN + strlen(str) + 1);
		memcpy(ATTR_DATA(a), str, strlen(str) + 1);
		len += NLA_ALIGN(a->nla_len);
	}
	req.n.nlmsg_len = (__u32)len;
	return send(fd, &req, len, 0) < 0 ? -1 : 0;
}

/* The attributes of a generic netlink message. */
static struct nlattr *attrs(struct nlmsghdr *n, char **end)
{
	*end = (char *)n + n->nlmsg_len;
	return (struct nlattr *)((char *)NLMSG_DATA(n) + GENL_HDRLEN);
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	__u16 family = 0;
	__u32 group = 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int done = 0;
	ssize_t n;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink socket");
		return 1;
	}
	/* 1. The family's id and the events group's id, from the controller. */
	if (request(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, CTRL_ATTR_FAMILY_NAME,
		    KBRIDGE_FAMILY_NAME) < 0 || (n = recv(fd, buf, sizeof(buf), 0)) < 0) {
		perror("CTRL_CMD_GETFAMILY");
		return 1;
	}
	for (struct nlmsghdr *m = (void *)buf; NLMSG_OK(m, n); m = NLMSG_NEXT(m, n)) {
		char *end;

		if (m->nlmsg_type == NLMSG_ERROR) {
			fprintf(stderr, "no %s family: is kbridge loaded?\n", KBRIDGE_FAMILY_NAME);
			return 1;
		}
		for (struct nlattr *a = attrs(m, &end); ATTR_OK(a, end); a = ATTR_NEXT(a)) {
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				family = *(__u16 *)ATTR_DATA(a);
			if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
				continue;
			for (struct nlattr *g = ATTR_DATA(a); ATTR_OK(g, (char *)a + a->nla_len); g = ATTR_NEXT(g)) {
				const char *name = NULL;
				__u32 id = 0;

				for (struct nlattr *f = ATTR_DATA(g); ATTR_OK(f, (char *)g + g->nla_len); f = ATTR_NEXT(f)) {
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
						name = ATTR_DATA(f);
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						id = *(__u32 *)ATTR_DATA(f);
				}
				if (name && !strcmp(name, KBRIDGE_GENL_MCGRP_EVENTS))
					group = id;
			}
		}
	}
	/* 2. Every line: a dump, one message per line, ended by NLMSG_DONE. */
	if (request(fd, family, KBRIDGE_CMD_LINE_GET, NLM_F_DUMP, 0, NULL) < 0)
		return 1;
	while (!done && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (struct nlmsghdr *m = (void *)buf; NLMSG_OK(m, n); m = NLMSG_NEXT(m, n)) {
			const char *name = "?";
			__u32 value = 0;
			char *end;

			if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			for (struct nlattr *a = attrs(m, &end); ATTR_OK(a, end); a = ATTR_NEXT(a)) {
				if (a->nla_type == KBRIDGE_A_LINE_NAME)
					name = ATTR_DATA(a);
				if (a->nla_type == KBRIDGE_A_LINE_VALUE)
					value = *(__u32 *)ATTR_DATA(a);
			}
			printf("%s=%u\n", name, value);
		}
	}
	/* 3. Change events: join the multicast group and wait. */
	if (argc == 4 && !strcmp(argv[1], "events")) {
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
			perror("NETLINK_ADD_MEMBERSHIP");
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
		for (int left = atoi(argv[2]); left > 0;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, atoi(argv[3])) <= 0 || (n = recv(fd, buf, sizeof(buf), 0)) <= 0) {
				fprintf(stderr, "no event\n");
				return 1;
			}
			for (struct nlmsghdr *m = (void *)buf; NLMSG_OK(m, n) && left > 0; m = NLMSG_NEXT(m, n), left--) {
				__u64 seq = 0;
				__u32 oldv = 0, newv = 0;
				const char *name = "?";
				char *end;

				for (struct nlattr *a = attrs(m, &end); ATTR_OK(a, end); a = ATTR_NEXT(a)) {
					if (a->nla_type == KBRIDGE_A_EVENT_SEQ)
						memcpy(&seq, ATTR_DATA(a), sizeof(seq));
					if (a->nla_type == KBRIDGE_A_EVENT_LINE_NAME)
						name = ATTR_DATA(a);
					if (a->nla_type == KBRIDGE_A_EVENT_OLD_VALUE)
						oldv = *(__u32 *)ATTR_DATA(a);
					if (a->nla_type == KBRIDGE_A_EVENT_NEW_VALUE)
						newv = *(__u32 *)ATTR_DATA(a);
				}
				printf("event seq=%llu %s %u->%u\n", (unsigned long long)seq, name, oldv, newv);
			}
			fflush(stdout);
		}
	}
	close(fd);
	return 0;
}
