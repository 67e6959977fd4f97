# kbridge: entry points. Every target installs what it needs first
# (scripts/setup-host.sh: idempotent, about a second when already done).
#   make demo    build, boot the emulated board, show kbridge working, power off
#   make test    host checks + in-guest tests on every kernel lane; ends "N passed, N failed, N skipped"
#   make shell   interactive shell on the emulated board (LANE=6.12|latest|6.12-debug|rpi4)
#   make bench   kbridge bench on each lane of LANES (default "6.12 latest rpi4"): table + out/bench/<lane>.json
#   make fuzz    the fuzz campaign alone, for long runs: DURATION=30m [FUZZ_LANE=6.12-debug] [SEED=1]
LANE ?= 6.12
S := scripts
# The kernel a lane boots (rpi4, QEMU raspi4b, boots lane 6.12's): scripts/lib.sh says.
KLANE = $(shell bash -c '. $(S)/lib.sh && kb_lane_kernel $(LANE)')

DURATION ?= 10m
SEED ?= 1
FUZZ_LANE ?= 6.12-debug

.PHONY: all setup kernels kmod agent demo test shell check fuzz bench clean distclean
all: demo

setup:
	@$(S)/setup-host.sh

kernels: setup
	@for l in 6.12 latest 6.12-debug; do $(S)/kernel.sh $$l; rc=$$?; \
	  [ $$rc = 0 ] || [ $$rc = 77 ] || exit $$rc; done

kmod: setup
	@$(S)/kernel.sh $(KLANE) >/dev/null && $(S)/build-kmod.sh $(KLANE)

agent: setup
	@$(S)/build-agent.sh

demo:
	@$(S)/demo.sh $(LANE)

shell: setup
	@$(S)/kernel.sh $(KLANE) >/dev/null && $(S)/build-agent.sh >/dev/null && $(S)/run-guest.sh $(LANE) shell

test:
	@$(S)/test.sh

fuzz: setup
	@$(S)/kernel.sh $(FUZZ_LANE) >/dev/null && $(S)/build-agent.sh >/dev/null && \
	  KBRIDGE_FUZZ=$(DURATION) KBRIDGE_FUZZ_SEED=$(SEED) KBRIDGE_TESTS='t37-*.sh' \
	  $(S)/run-guest.sh $(FUZZ_LANE) test

# Performance report per lane (docs/performance.md); not part of `make test`.
LANES ?= 6.12 latest rpi4
bench: setup
	@LANES="$(LANES)" $(S)/bench.sh

# Host-only checks (no kernel builds): fast feedback while editing.
check: setup
	@KBRIDGE_LANES= $(S)/test.sh

clean:
	rm -rf out

# Also drop the kernel builds and tools cached outside the repo.
distclean: clean
	rm -rf $${KBRIDGE_CACHE:-$$HOME/.cache/kbridge}
