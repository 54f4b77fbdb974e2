#!/bin/sh
# RAM and speed of the stack under WAMR (classic and fast interpreter, x86-32, memory profiler on)
# and under wasm2c (same harness, boards/common/wamr/rt_bench.c: 20,000 ICMP echoes of 1,000 bytes).
#   sh boards/common/wamr/measure.sh <wasm-micro-runtime tree> [module.wasm]     (from the repo root)
# Needs cmake, gcc-multilib (-m32) and wabt. Builds into /tmp/asnet-wamr-measure.
set -e
WAMR_ROOT=$(cd "$1" && pwd)
WASM=${2:-build/stack.wasm}
OUT=/tmp/asnet-wamr-measure
C=boards/common
mkdir -p $OUT
CFLAGS="-m32 -O2 -std=c11 -D_GNU_SOURCE -I$C -I$WAMR_ROOT/core/iwasm/include"
for interp in classic fast; do
  fast=0; [ $interp = fast ] && fast=1
  cmake -S $C/wamr -B $OUT/vmlib-$interp -DWAMR_ROOT=$WAMR_ROOT -DCMAKE_BUILD_TYPE=Release \
    -DASNET_WAMR_32BIT=1 -DASNET_WAMR_PROFILE=1 -DASNET_WAMR_FAST_INTERP=$fast >$OUT/cmake-$interp.log 2>&1
  cmake --build $OUT/vmlib-$interp -j2 >>$OUT/cmake-$interp.log 2>&1
  gcc $CFLAGS -DASNET_RUNTIME_WAMR -DSTACK_RT_WAMR_PROFILE -DSTACK_RT_WAMR_POOL_KB=1024 \
    $C/wamr/rt_bench.c $C/runtime_wamr.c $C/stack_natives.c $OUT/vmlib-$interp/libvmlib.a -lm -lpthread -o $OUT/rt_bench-$interp
  size $OUT/vmlib-$interp/libvmlib.a | awk -v i=$interp 'NR > 1 { t += $1; d += $2; b += $3 } END { print "WAMR " i " interpreter library (x86-32 -O2): text " t ", data " d ", bss " b }'
  echo "== WAMR $interp interpreter"
  $OUT/rt_bench-$interp $WASM
done
wasm2c $WASM -n stack -o $OUT/stack.c
node scripts/wasm2c-sandbox.mjs $OUT/stack.c >/dev/null
gcc $CFLAGS -I$OUT -I/usr/src/wasm2c -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DWASM_RT_USE_STACK_DEPTH_COUNT=0 -Wno-unused \
  $C/wamr/rt_bench.c $C/runtime_wasm2c.c $C/wasm_rt_static.c $OUT/stack.c -o $OUT/rt_bench-wasm2c
echo "== wasm2c (masked sandbox, no depth counting)"
$OUT/rt_bench-wasm2c $WASM
