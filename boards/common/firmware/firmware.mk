# The build of a bare-metal board's firmware (mps2-an385, riscv-virt): build/stack.wasm through
# wasm2c and the sandbox rewrite, boards/common's C API, glue and runtime, the shared firmware of
# this folder (firmware.c, app.c) and the board's own files. The board's Makefile sets CC, SIZE,
# CFLAGS, LDFLAGS (with its linker script LDSCRIPT), DRIVER (its startup, console, clock and NIC
# files), BOARD_NAME and BOARD_DETAIL (the HTTP page names the board), then includes this file.
# WAMR on these boards is possible (runtime_wamr.c) but they ship wasm2c only: no allocator, no loader.
OUT      ?= build
WASM     := ../../build/stack.wasm
WASM_RT  := /usr/src/wasm2c
COMMON   := ../common
FIRMWARE := $(COMMON)/firmware
RUNTIME  ?= wasm2c
ifneq ($(RUNTIME),wasm2c)
$(error $(BOARD_NAME) builds RUNTIME=wasm2c only (see boards/common/README.md))
endif
GLUE     := board_port.c asnet.c stack_glue.c runtime_wasm2c.c wasm_rt_static.c
APP      := mac_selftest.c dhcp_boot.c app.c firmware.c main.c
CFLAGS   += -I$(OUT) -I$(WASM_RT) -I$(COMMON) -I$(FIRMWARE) -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0
CFLAGS   += -MMD -MP        # header dependencies in a .d file beside each object (included below)
LDFLAGS  += -Wl,-Map=$(OUT)/firmware.map
include $(COMMON)/sandbox.mk
STACK_O  := $(OUT)/stack.o
OBJS     := $(patsubst %.c,$(OUT)/%.o,$(DRIVER) $(GLUE) $(APP)) $(STACK_O)

all: $(OUT)/firmware.elf

# One recipe makes both (grouped target: with two plain targets `make -j` ran wasm2c twice into the same file).
$(OUT)/stack.c $(OUT)/stack.h &: $(WASM) $(SANDBOX_STAMP) | $(OUT)
	wasm2c $(WASM) -n stack -o $(OUT)/stack.c
	$(SANDBOX_REWRITE) $(OUT)/stack.c

$(WASM):
	@echo "$(WASM) is missing: run 'npm run build' in the repository root" >&2; exit 1

$(STACK_O): $(OUT)/stack.c
	$(CC) $(CFLAGS) -Wno-unused -c $< -o $@

$(patsubst %.c,$(OUT)/%.o,$(GLUE) $(APP)): $(OUT)/stack.h

$(OUT)/app.o: CFLAGS += -DAPP_BOARD_NAME='"$(BOARD_NAME)"' -DAPP_BOARD_DETAIL='"$(BOARD_DETAIL)"'

$(OUT)/%.o: %.c | $(OUT)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/%.o: $(COMMON)/%.c $(OUT)/stack.h | $(OUT)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/%.o: $(FIRMWARE)/%.c $(OUT)/stack.h | $(OUT)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/firmware.elf: $(OBJS) $(LDSCRIPT)
	$(CC) $(LDFLAGS) $(OBJS) -o $@
	$(SIZE) $@

$(OUT):
	mkdir -p $@

size: $(OUT)/firmware.elf
	$(SIZE) -A $< | head -20
	$(SIZE) -t $(patsubst %.c,$(OUT)/%.o,$(DRIVER))
	$(SIZE) -t $(patsubst %.c,$(OUT)/%.o,$(GLUE))
	$(SIZE) -t $(patsubst %.c,$(OUT)/%.o,$(APP))
	$(SIZE) $(STACK_O)

clean:
	rm -rf $(OUT)

.PHONY: all run size clean

-include $(OBJS:.o=.d)
