// Cortex-M3 code size of the wasm2c output of build/stack.wasm for each sandbox variant
// (boards/common/wasm_sandbox.h, boards/common/sandbox.mk), compiled with the mps2-an385 flags
// (arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffunction-sections -fdata-sections); prints the
// text size of stack.o as arm-none-eabi-size reports it. Also for RISC-V with ARCH=rv32imac.
//   node scripts/sandbox-size.mjs [build/stack.wasm]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rewrite } from './wasm2c-sandbox.mjs';

const root = join(import.meta.dirname, '..');
const wasm = process.argv[2] ?? join(root, 'build/stack.wasm');
const arch = process.env.ARCH === 'rv32imac'
  ? { cc: 'riscv64-unknown-elf-gcc', size: 'riscv64-unknown-elf-size', flags: ['-march=rv32imac', '-mabi=ilp32'] }
  : { cc: 'arm-none-eabi-gcc', size: 'arm-none-eabi-size', flags: ['-mcpu=cortex-m3', '-mthumb'] };
const variants = [
  ['wasm2c 1.0.32 as generated: 64-bit checks + depth counting', 'raw', 1],
  ['64-bit checks, no depth counting', 'raw', 0],
  ['check: exact 32-bit checks + depth counting', 'CHECK', 1],
  ['check: exact 32-bit checks, no depth counting', 'CHECK', 0],
  ['base: address operand checked + guard, no depth counting', 'BASE', 0],
  ['mask: masked 64 KiB memory + depth counting', 'MASK', 1],
  ['mask: masked 64 KiB memory, no depth counting (default)', 'MASK', 0],
  ['none: no sandbox, no depth counting (reference only)', 'NONE', 0],
];
const dir = mkdtempSync(join(tmpdir(), 'sandbox-size-'));
try {
  execFileSync('wasm2c', [wasm, '-n', 'stack', '-o', join(dir, 'raw.c')]);
  const raw = readFileSync(join(dir, 'raw.c'), 'utf8');
  writeFileSync(join(dir, 'sandbox.c'), rewrite(raw).text);
  execFileSync('cp', [join(dir, 'raw.h'), join(dir, 'stack.h')]);
  // Both .c files include "raw.h" (wasm2c names the header after the output file).
  writeFileSync(join(dir, 'sandbox.c'), readFileSync(join(dir, 'sandbox.c'), 'utf8'));
  console.log(`| variant | ${arch.cc} -Os text of stack.o |\n|---|---:|`);
  for (const [label, kind, depth] of variants) {
    const src = join(dir, kind === 'raw' ? 'raw.c' : 'sandbox.c');
    const obj = join(dir, 'v.o');
    execFileSync(arch.cc, [...arch.flags, '-Os', '-std=c11', '-ffunction-sections', '-fdata-sections', `-I${dir}`,
      '-I/usr/src/wasm2c', `-I${join(root, 'boards/common')}`, '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0',
      `-DWASM_RT_USE_STACK_DEPTH_COUNT=${depth}`, ...(kind === 'raw' ? [] : [`-DASNET_SANDBOX=ASNET_SANDBOX_${kind}`]),
      '-w', '-c', src, '-o', obj]);
    const text = execFileSync(arch.size, [obj], { encoding: 'utf8' }).split('\n')[1].trim().split(/\s+/)[0];
    console.log(`| ${label} | ${Number(text).toLocaleString('en-US')} |`);
  }
} finally { rmSync(dir, { recursive: true, force: true }); }
