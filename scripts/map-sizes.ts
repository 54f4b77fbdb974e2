// Linked code and RAM per object file from a GNU ld map (`-Wl,-Map=...`), the figures
// `arm-none-eabi-size`/`riscv64-unknown-elf-size` give for a whole ELF, split by input object:
// what each .o still costs after --gc-sections and linker relaxation.
//   npx tsx scripts/map-sizes.ts boards/riscv-virt/build/firmware.map
// Output sections are classed like size(1)'s Berkeley format: .text/.rodata/.ARM.exidx = text,
// .data/.sdata/.tdata = data, .bss/.sbss/.tbss = bss; debug and stack sections are not counted.
import { readFileSync } from 'node:fs';

type Row = { text: number; data: number; bss: number };

const CLASS: [RegExp, keyof Row][] = [
  [/^\.(text|rodata|ARM\.exidx|init|fini)\b/, 'text'],
  [/^\.(data|sdata|tdata)\b/, 'data'],
  [/^\.(bss|sbss|tbss)\b/, 'bss'],
];

export function mapSizes(map: string): Map<string, Row> {
  const body = map.slice(map.indexOf('Linker script and memory map'));
  const rows = new Map<string, Row>();
  let kind: keyof Row | undefined;
  let pendingName = false;
  for (const line of body.split('\n')) {
    const out = /^(\.\S+|\/DISCARD\/)/.exec(line);            // an output section starts in column 0
    if (out) { kind = CLASS.find(([re]) => re.test(out[1]))?.[1]; pendingName = false; continue; }
    if (/^ \.\S+$/.test(line) || /^ COMMON$/.test(line)) { pendingName = true; continue; } // long input name alone
    const m = /^ (?:\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$/.exec(line);
    if (!m || (!pendingName && !/^ \S/.test(line))) { pendingName = false; continue; }
    pendingName = false;
    if (!kind) continue;
    const obj = m[3].includes('.a(') ? 'libc + libgcc' : m[3].split('/').at(-1)!;
    const row = rows.get(obj) ?? { text: 0, data: 0, bss: 0 };
    row[kind] += parseInt(m[2], 16);
    rows.set(obj, row);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) { console.error('usage: tsx scripts/map-sizes.ts <firmware.map>'); process.exit(2); }
  const rows = [...mapSizes(readFileSync(file, 'utf8'))].sort((a, b) => b[1].text - a[1].text);
  const total: Row = { text: 0, data: 0, bss: 0 };
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(`${'object'.padEnd(20)} ${pad('text', 7)} ${pad('data', 6)} ${pad('bss', 7)}`);
  for (const [obj, r] of rows) {
    console.log(`${obj.padEnd(20)} ${pad(r.text, 7)} ${pad(r.data, 6)} ${pad(r.bss, 7)}`);
    total.text += r.text; total.data += r.data; total.bss += r.bss;
  }
  console.log(`${'total'.padEnd(20)} ${pad(total.text, 7)} ${pad(total.data, 6)} ${pad(total.bss, 7)}`);
}
