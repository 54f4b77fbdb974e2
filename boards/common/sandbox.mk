# The memory sandbox of the wasm2c output, for every board Makefile that compiles it (include after
# setting OUT and CFLAGS; then run $(SANDBOX_REWRITE) on the fresh wasm2c output and make stack.c
# depend on $(SANDBOX_STAMP)). boards/common/README.md has the sizes.
#   SANDBOX=mask    (default) power-of-two memory, masked address operand (wasm_sandbox.h)
#   SANDBOX=check   exact 32-bit bounds checks (33-bit effective address, no wrap), traps like wasm
#   SANDBOX=base    the address operand checked, offsets land in the guard bytes
#   SANDBOX=wasm2c  wasm2c 1.0.32's own 64-bit checks, output not rewritten
#   SANDBOX=none    no sandbox: for measurements only
#   DEPTH=0         (default except with SANDBOX=wasm2c) no per-call stack-depth counting: the call
#                   graph is proven bounded by test/callgraph.test.ts; DEPTH=1 keeps the counting
SANDBOX ?= mask
SANDBOX_ROOT := $(dir $(lastword $(MAKEFILE_LIST)))../..
ifeq ($(SANDBOX),wasm2c)
DEPTH ?= 1
SANDBOX_REWRITE := @true
else ifneq ($(filter $(SANDBOX),mask check base none),)
DEPTH ?= 0
SANDBOX_REWRITE := node $(SANDBOX_ROOT)/scripts/wasm2c-sandbox.mjs
CFLAGS += -DASNET_SANDBOX=ASNET_SANDBOX_$(shell echo $(SANDBOX) | tr a-z A-Z)
else
$(error SANDBOX must be mask, check, base, wasm2c or none)
endif
CFLAGS += -DWASM_RT_USE_STACK_DEPTH_COUNT=$(DEPTH)
# Rebuild the wasm2c output when the variant changes (the including Makefile keeps `all` as its goal).
.DEFAULT_GOAL := all
SANDBOX_STAMP := $(OUT)/sandbox-$(SANDBOX)-$(DEPTH).stamp
$(SANDBOX_STAMP): | $(OUT)
	rm -f $(OUT)/sandbox-*.stamp
	touch $@
