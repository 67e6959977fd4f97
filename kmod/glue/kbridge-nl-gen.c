// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	docs/netlink/kbridge.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "kbridge-nl-gen.h"

#include <uapi/kbridge-nl-uapi.h>

/* Common nested types */
const struct nla_policy kbridge_line_ref_nl_policy[KBRIDGE_A_LINE_NAME + 1] = {
	[KBRIDGE_A_LINE_INDEX] = NLA_POLICY_MAX(NLA_U32, 63),
	[KBRIDGE_A_LINE_NAME] = { .type = NLA_NUL_STRING, .len = KBRIDGE_NAME_MAX_LEN, },
};

const struct nla_policy kbridge_line_value_nl_policy[KBRIDGE_A_LINE_VALUE + 1] = {
	[KBRIDGE_A_LINE_INDEX] = NLA_POLICY_MAX(NLA_U32, 63),
	[KBRIDGE_A_LINE_NAME] = { .type = NLA_NUL_STRING, .len = KBRIDGE_NAME_MAX_LEN, },
	[KBRIDGE_A_LINE_VALUE] = { .type = NLA_U32, },
};

/* KBRIDGE_CMD_LINE_GET - do */
static const struct nla_policy kbridge_line_get_nl_policy[KBRIDGE_A_LINE_NAME + 1] = {
	[KBRIDGE_A_LINE_INDEX] = NLA_POLICY_MAX(NLA_U32, 63),
	[KBRIDGE_A_LINE_NAME] = { .type = NLA_NUL_STRING, .len = KBRIDGE_NAME_MAX_LEN, },
};

/* KBRIDGE_CMD_LINE_SET - do */
static const struct nla_policy kbridge_line_set_nl_policy[KBRIDGE_A_CHANGE_ASSIGN + 1] = {
	[KBRIDGE_A_CHANGE_ASSIGN] = NLA_POLICY_NESTED(kbridge_line_value_nl_policy),
};

/* KBRIDGE_CMD_LINE_TOGGLE - do */
static const struct nla_policy kbridge_line_toggle_nl_policy[KBRIDGE_A_CHANGE_TARGET + 1] = {
	[KBRIDGE_A_CHANGE_TARGET] = NLA_POLICY_NESTED(kbridge_line_ref_nl_policy),
};

/* Ops table for kbridge */
static const struct genl_split_ops kbridge_nl_ops[] = {
	{
		.cmd	= KBRIDGE_CMD_BOARD_GET,
		.doit	= kbridge_nl_board_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KBRIDGE_CMD_LINE_GET,
		.doit		= kbridge_nl_line_get_doit,
		.policy		= kbridge_line_get_nl_policy,
		.maxattr	= KBRIDGE_A_LINE_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= KBRIDGE_CMD_LINE_GET,
		.dumpit	= kbridge_nl_line_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KBRIDGE_CMD_LINE_SET,
		.doit		= kbridge_nl_line_set_doit,
		.policy		= kbridge_line_set_nl_policy,
		.maxattr	= KBRIDGE_A_CHANGE_ASSIGN,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KBRIDGE_CMD_LINE_TOGGLE,
		.doit		= kbridge_nl_line_toggle_doit,
		.policy		= kbridge_line_toggle_nl_policy,
		.maxattr	= KBRIDGE_A_CHANGE_TARGET,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group kbridge_nl_mcgrps[] = {
	[KBRIDGE_NLGRP_EVENTS] = { "events", },
};

struct genl_family kbridge_nl_family __ro_after_init = {
	.name		= KBRIDGE_FAMILY_NAME,
	.version	= KBRIDGE_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= kbridge_nl_ops,
	.n_split_ops	= ARRAY_SIZE(kbridge_nl_ops),
	.mcgrps		= kbridge_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(kbridge_nl_mcgrps),
};
