# bench/lwip/tap.mk: build/lwip-tap, lwIP on a Linux TAP device for the TAP benchmark (bench/tap.ts).
# Read together with the Makefile beside it, whose source path (SRC), core file list (CORE) and
# compile options it reuses, so the TAP program and the pair harness are the same lwIP build:
#   make -C bench/lwip -f Makefile -f tap.mk build/lwip-tap
build/lwip-tap: tap.c ../../boards/common/chargen.h ../../boards/posix/linux_host.h fair/lwipopts.h fair/arch/cc.h tap.mk
	mkdir -p build && $(CC) -O2 -g -DNDEBUG -Ifair -I../../boards/common -I../../boards/posix -I$(SRC)/include -w tap.c $(addprefix $(SRC)/,$(CORE)) -o $@
