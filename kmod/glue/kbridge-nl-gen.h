/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	docs/netlink/kbridge.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_KBRIDGE_GEN_H
#define _LINUX_KBRIDGE_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/kbridge-nl-uapi.h>

/* Common nested types */
extern const struct nla_policy kbridge_line_ref_nl_policy[KBRIDGE_A_LINE_NAME + 1];
extern const struct nla_policy kbridge_line_value_nl_policy[KBRIDGE_A_LINE_VALUE + 1];

int kbridge_nl_board_get_doit(struct sk_buff *skb, struct genl_info *info);
int kbridge_nl_line_get_doit(struct sk_buff *skb, struct genl_info *info);
int kbridge_nl_line_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int kbridge_nl_line_set_doit(struct sk_buff *skb, struct genl_info *info);
int kbridge_nl_line_toggle_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	KBRIDGE_NLGRP_EVENTS,
};

extern struct genl_family kbridge_nl_family;

#endif /* _LINUX_KBRIDGE_GEN_H */
