// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue for generic netlink. See kbridge_genl.h: each function wraps
 * one kernel construct; the handlers only forward to Rust.
 */
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/net_namespace.h>

#include "kbridge-nl-gen.h"
#include "kbridge_genl.h"

/* ---- handlers of the generated split ops (kbridge-nl-gen.c) ------------ */

int kbridge_nl_board_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kbridge_rust_nl_board_get(info);
}

int kbridge_nl_line_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kbridge_rust_nl_line_get(info);
}

int kbridge_nl_line_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kbridge_rust_nl_line_dump(skb, cb);
}

int kbridge_nl_line_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kbridge_rust_nl_line_set(info);
}

int kbridge_nl_line_toggle_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kbridge_rust_nl_line_toggle(info);
}

/* ---- family ------------------------------------------------------------- */

int kbridge_genl_register(void)
{
	return genl_register_family(&kbridge_nl_family);
}

void kbridge_genl_unregister(void)
{
	genl_unregister_family(&kbridge_nl_family);
}

/* ---- requests ----------------------------------------------------------- */

/* The whole attribute stream of the request (every attribute, repeats too). */
const void *kbridge_genl_payload(struct genl_info *info, unsigned int *len)
{
	*len = genlmsg_len(info->genlhdr);
	return genlmsg_data(info->genlhdr);
}

/*
 * NL_SET_ERR_MSG_ATTR, spelled out: the macro wants a string literal, our
 * messages are static C strings from Rust. @nla may be NULL.
 */
void kbridge_genl_set_err(struct genl_info *info, const void *nla,
			  const char *msg)
{
	do_trace_netlink_extack(msg);
	if (info->extack) {
		info->extack->_msg = msg;
		info->extack->bad_attr = nla;
	}
}

/* NL_SET_ERR_MSG (as above) + NL_SET_ERR_ATTR_MISS; @nest NULL: top level. */
void kbridge_genl_set_missing(struct genl_info *info, const void *nest,
			      unsigned int type, const char *msg)
{
	do_trace_netlink_extack(msg);
	if (info->extack)
		info->extack->_msg = msg;
	NL_SET_ERR_ATTR_MISS(info->extack, (const struct nlattr *)nest, type);
}

/* ---- messages ----------------------------------------------------------- */

/* A message with room for @payload bytes of attributes after the headers. */
struct sk_buff *kbridge_genl_new(size_t payload)
{
	return genlmsg_new(payload, GFP_KERNEL);
}

void kbridge_genl_free(struct sk_buff *skb)
{
	nlmsg_free(skb);
}

void *kbridge_genl_start_reply(struct sk_buff *skb, struct genl_info *info,
			       unsigned int cmd)
{
	return genlmsg_put_reply(skb, info, &kbridge_nl_family, 0, cmd);
}

void *kbridge_genl_start_dump(struct sk_buff *skb,
			      struct netlink_callback *cb, unsigned int cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &kbridge_nl_family, NLM_F_MULTI, cmd);
}

void *kbridge_genl_start_event(struct sk_buff *skb, unsigned int cmd)
{
	return genlmsg_put(skb, 0, 0, &kbridge_nl_family, 0, cmd);
}

int kbridge_genl_put(struct sk_buff *skb, unsigned int type, unsigned int len,
		     const void *data)
{
	return nla_put(skb, type, len, data);
}

int kbridge_genl_put_u64(struct sk_buff *skb, unsigned int type, u64 value,
			 unsigned int pad)
{
	return nla_put_u64_64bit(skb, type, value, pad);
}

/*
 * nla_reserve_64bit() for a u64 written later: the attribute's payload, or
 * NULL when @skb has no room.
 */
void *kbridge_genl_reserve_u64(struct sk_buff *skb, unsigned int type,
			       unsigned int pad)
{
	struct nlattr *nla = nla_reserve_64bit(skb, type, sizeof(u64), pad);

	return nla ? nla_data(nla) : NULL;
}

void kbridge_genl_end(struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
}

void kbridge_genl_cancel(struct sk_buff *skb, void *hdr)
{
	genlmsg_cancel(skb, hdr);
}

unsigned int kbridge_genl_len(struct sk_buff *skb)
{
	return skb->len;
}

/* Consumes @skb. */
int kbridge_genl_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

/* genl_has_listeners() in any network namespace (the family is netnsok). */
bool kbridge_genl_has_listeners(void)
{
	struct net *net;
	bool any = false;

	rcu_read_lock();
	for_each_net_rcu(net) {
		if (genl_has_listeners(&kbridge_nl_family, net,
				       KBRIDGE_NLGRP_EVENTS)) {
			any = true;
			break;
		}
	}
	rcu_read_unlock();
	return any;
}

/* Consumes @skb: multicast to the events group of every network namespace. */
int kbridge_genl_multicast(struct sk_buff *skb)
{
	return genlmsg_multicast_allns(&kbridge_nl_family, skb, 0,
				       KBRIDGE_NLGRP_EVENTS);
}

/* cb->args: six longs the dump keeps between calls (zero at the start). */
long *kbridge_genl_cb_args(struct netlink_callback *cb)
{
	return cb->args;
}
