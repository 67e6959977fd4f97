# SPDX-License-Identifier: GPL-2.0
#
# Included by Kbuild: stops the build with a clear message on a kernel older
# than kbridge supports, before a compiler error would say it less clearly.
#
# Minimum: Linux 6.12.114 in the 6.12 series (any 6.13 or later works).
#  - gpiod_set_value_cansleep() returns int (the glue reports a failed write):
#    "gpiolib: make value setters have return values", which Debian's
#    changelog lists under the 6.12.114 stable update.
#  - The kernel crate's KBox/KVec (rust/kernel/alloc/kvec.rs), which the
#    module allocates with everywhere.
# Each requirement is checked on the tree itself (a vendor kernel may carry
# the backports at another version), then the version.
# tests/host/kernel-check.sh runs this file against fake trees.

kb_min := 6.12.114
kb_consumer := $(srctree)/include/linux/gpio/consumer.h

ifeq ($(shell grep -qs '^int gpiod_set_value_cansleep' $(kb_consumer) && echo y),)
$(error kbridge: $(kb_consumer): gpiod_set_value_cansleep() does not return int. kbridge needs Linux $(kb_min) or later)
endif
ifeq ($(wildcard $(srctree)/rust/kernel/alloc/kvec.rs),)
$(error kbridge: $(srctree)/rust/kernel/alloc has no kvec.rs (the kernel crate's KVec). kbridge needs Linux $(kb_min) or later)
endif
ifeq ($(shell test "$(VERSION)" -gt 6 -o \( "$(VERSION)" -eq 6 -a "$(PATCHLEVEL)" -gt 12 \) -o \
               \( "$(VERSION)" -eq 6 -a "$(PATCHLEVEL)" -eq 12 -a "$(SUBLEVEL)" -ge 114 \) 2>/dev/null && echo y),)
$(error kbridge: this is Linux $(VERSION).$(PATCHLEVEL).$(SUBLEVEL); kbridge needs Linux $(kb_min) or later)
endif
