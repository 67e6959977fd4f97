/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbridge C glue for generic netlink (Rust: genl.rs, declarations in
 * ffi_genl.rs). The family, its policies and split ops are generated from
 * docs/netlink/kbridge.yaml (kbridge-nl-gen.c); this file registers the
 * family, forwards the generated ops' handlers to Rust, and wraps the
 * genetlink/netlink message helpers (static inlines and macros) one each.
 * No logic: attribute parsing and replies are built in Rust (netlink.rs).
 *
 * Only basic types and forward declarations here: tests/host/glue-abi.sh
 * runs bindgen on this header.
 */
#ifndef KBRIDGE_GENL_H
#define KBRIDGE_GENL_H

#include <linux/types.h>

struct genl_info;
struct netlink_callback;
struct sk_buff;

/* Family registration (module init/exit). */
int kbridge_genl_register(void);
void kbridge_genl_unregister(void);

/* Requests: the attribute stream of a doit request, already validated
 * against the op's policy (strict), and errors with extack messages. */
const void *kbridge_genl_payload(struct genl_info *info, unsigned int *len);
void kbridge_genl_set_err(struct genl_info *info, const void *nla,
			  const char *msg);
void kbridge_genl_set_missing(struct genl_info *info, const void *nest,
			      unsigned int type, const char *msg);

/* Messages: allocate, start (reply, dump part, event), fill, finish. */
struct sk_buff *kbridge_genl_new(size_t payload);
void kbridge_genl_free(struct sk_buff *skb);
void *kbridge_genl_start_reply(struct sk_buff *skb, struct genl_info *info,
			       unsigned int cmd);
void *kbridge_genl_start_dump(struct sk_buff *skb,
			      struct netlink_callback *cb, unsigned int cmd);
void *kbridge_genl_start_event(struct sk_buff *skb, unsigned int cmd);
int kbridge_genl_put(struct sk_buff *skb, unsigned int type, unsigned int len,
		     const void *data);
int kbridge_genl_put_u64(struct sk_buff *skb, unsigned int type, u64 value,
			 unsigned int pad);
void *kbridge_genl_reserve_u64(struct sk_buff *skb, unsigned int type,
			       unsigned int pad);
void kbridge_genl_end(struct sk_buff *skb, void *hdr);
void kbridge_genl_cancel(struct sk_buff *skb, void *hdr);
unsigned int kbridge_genl_len(struct sk_buff *skb);
int kbridge_genl_reply(struct sk_buff *skb, struct genl_info *info);
bool kbridge_genl_has_listeners(void);
int kbridge_genl_multicast(struct sk_buff *skb);
long *kbridge_genl_cb_args(struct netlink_callback *cb);

/* Implemented in Rust (genl.rs); the generated ops call them. */
int kbridge_rust_nl_board_get(struct genl_info *info);
int kbridge_rust_nl_line_get(struct genl_info *info);
int kbridge_rust_nl_line_dump(struct sk_buff *skb, struct netlink_callback *cb);
int kbridge_rust_nl_line_set(struct genl_info *info);
int kbridge_rust_nl_line_toggle(struct genl_info *info);

#endif /* KBRIDGE_GENL_H */
