// boards/esp32: the ESP-IDF project cannot be built here (no ESP-IDF in CI), so this suite checks
// everything that can be checked without it:
// - the WAMR natives table (boards/common/stack_natives.c) names exactly the imports of build/stack.wasm,
//   with WAMR signatures that match the wasm function types (import section parsed here);
// - the board's C files that do not include ESP-IDF/WAMR/FreeRTOS headers compile with the host
//   gcc against boards/common, and the portable pieces (frame queue, IP parsing) run correctly;
// - every Kconfig board preset sets every EMAC pin symbol, and every CONFIG_ASNET_* the C uses
//   is declared in Kconfig.projbuild;
// - main/CMakeLists.txt and idf_component.yml reference files and components that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'esp32');
const MAIN = join(BOARD, 'main');
const COMMON = join(ROOT, 'boards', 'common');
const WASM = join(ROOT, 'build', 'stack.wasm');

interface Import { module: string; name: string; signature: string }

/** Unsigned LEB128 reader over a byte array (WebAssembly core spec §5.2.2). */
class Reader {
  constructor(private readonly bytes: Uint8Array, public pos = 0) {}
  u8(): number { return this.bytes[this.pos++]; }
  u32(): number {
    let result = 0, shift = 0, byte: number;
    do { byte = this.u8(); result |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    return result >>> 0;
  }
  name(): string {
    const len = this.u32();
    const s = Buffer.from(this.bytes.subarray(this.pos, this.pos + len)).toString('utf8');
    this.pos += len;
    return s;
  }
}

/** WAMR signature letters for wasm value types (WAMR doc/export_native_api.md). */
const WAMR_TYPE: Record<number, string> = { 0x7f: 'i', 0x7e: 'I', 0x7d: 'f', 0x7c: 'F' };

/** Function types of the type section (§5.5.4), as WAMR signatures "(params)results". */
function readTypes(r: Reader): string[] {
  const types: string[] = [];
  for (let n = r.u32(); n > 0; n--) {
    assert.equal(r.u8(), 0x60, 'function type expected');
    const params = Array.from({ length: r.u32() }, () => WAMR_TYPE[r.u8()]).join('');
    const results = Array.from({ length: r.u32() }, () => WAMR_TYPE[r.u8()]).join('');
    types.push(`(${params})${results}`);
  }
  return types;
}

/** Function imports of a module (import section §5.5.5); other import kinds are reported too. */
function wasmImports(bytes: Uint8Array): Import[] {
  const r = new Reader(bytes, 8); // magic + version
  let types: string[] = [];
  const imports: Import[] = [];
  while (r.pos < bytes.length) {
    const id = r.u8();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) types = readTypes(r);
    if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name(), name = r.name(), kind = r.u8();
        assert.equal(kind, 0, `import ${module}.${name} is not a function (kind ${kind})`);
        imports.push({ module, name, signature: types[r.u32()] });
      }
    }
    r.pos = end;
  }
  return imports;
}

/** Entries of the NATIVE(name, "signature") table in stack_natives.c. */
function nativesTable(): Import[] {
  const src = readFileSync(join(COMMON, 'stack_natives.c'), 'utf8');
  const table = src.slice(src.indexOf('NativeSymbol stack_natives[]'));
  return [...table.matchAll(/NATIVE\((\w+),\s*"([^"]*)"\)/g)].map((m) => ({
    module: 'env', name: m[1], signature: m[2],
  }));
}

const key = (i: Import) => `${i.module}.${i.name}${i.signature}`;

test('natives table matches the import section of build/stack.wasm exactly', () => {
  assert.ok(existsSync(WASM), `${WASM} missing: run npm run build`);
  const imports = wasmImports(readFileSync(WASM)).map(key).sort();
  const natives = nativesTable().map(key).sort();
  assert.ok(imports.length > 0, 'no imports parsed');
  assert.deepEqual(natives, imports);
  const stackNativesSrc = readFileSync(join(COMMON, 'runtime_wamr.c'), 'utf8');
  assert.match(stackNativesSrc, /native_module_name = "env"/, 'natives must be registered for module env');
});

/** Local headers a C file includes, followed transitively; the set of all include lines seen. */
function includeClosure(file: string, seen = new Set<string>()): Set<string> {
  const src = readFileSync(file, 'utf8');
  for (const m of src.matchAll(/#include\s+[<"]([^>"]+)[>"]/g)) {
    if (seen.has(m[1])) continue;
    seen.add(m[1]);
    const local = join(MAIN, m[1]);
    if (existsSync(local)) includeClosure(local, seen);
  }
  return seen;
}

const PLATFORM_HEADER = /^(esp_|freertos\/|driver\/|bootloader_|wasm_export|sdkconfig|soc\/|hal\/)/;
const EXPECTED_PORTABLE = ['console_view.c', 'frame_queue.c', 'ip_config.c', 'services.c'];

function portableSources(): string[] {
  return readdirSync(MAIN).filter((f) => f.endsWith('.c')).filter((f) =>
    ![...includeClosure(join(MAIN, f))].some((h) => PLATFORM_HEADER.test(h))).sort();
}

function requireGcc(): void {
  if (spawnSync('sh', ['-c', 'command -v gcc']).status !== 0) assert.fail('gcc is missing: apt-get install -y gcc');
}

test('C files without ESP-IDF headers compile with the host gcc against boards/common', () => {
  requireGcc();
  assert.deepEqual(portableSources(), EXPECTED_PORTABLE);
  for (const f of EXPECTED_PORTABLE) {
    const r = spawnSync('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-fsyntax-only',
      `-I${COMMON}`, `-I${MAIN}`, join(MAIN, f)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${f}:\n${r.stderr}`);
  }
});

const PORTABLE_CHECK = String.raw`
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "frame_queue.h"
#include "ip_config.h"
static struct frame_queue q;
int main(void) {
  uint32_t ip = 0, len = 0;
  assert(ip_config_parse("192.0.2.2", &ip) == 0 && ip == 0xC0000202u);
  assert(ip_config_parse("255.255.255.0", &ip) == 0 && ip == 0xFFFFFF00u);
  assert(ip_config_parse("256.0.0.1", &ip) < 0 && ip_config_parse("1.2.3", &ip) < 0);
  assert(ip_config_parse("1.2.3.4 ", &ip) < 0 && ip_config_parse("1..3.4", &ip) < 0);
  const uint8_t mac[6] = {0x02, 0x00, 0xc0, 0x00, 0x02, 0x02};
  assert(ip_config_mac_hi(mac) == 0x0200u && ip_config_mac_lo(mac) == 0xc0000202u);
  frame_queue_init(&q);
  uint8_t frame[1536];
  for (unsigned round = 0; round < 3 * FRAME_QUEUE_SLOTS; round++) { /* wraps the ring 3 times */
    for (unsigned i = 0; i < FRAME_QUEUE_SLOTS; i++) {
      memset(frame, (int)(round + i), 60 + i);
      assert(frame_queue_push(&q, frame, 60 + i) == 0);
    }
    assert(frame_queue_push(&q, frame, 60) < 0); /* full */
    for (unsigned i = 0; i < FRAME_QUEUE_SLOTS; i++) {
      const uint8_t *f = frame_queue_peek(&q, &len);
      assert(f && len == 60 + i && f[0] == (uint8_t)(round + i) && f[len - 1] == f[0]);
      frame_queue_pop(&q);
    }
    assert(frame_queue_peek(&q, &len) == NULL);
  }
  assert(frame_queue_push(&q, frame, 1537) < 0); /* longer than rx_buffer */
  printf("dropped %u\n", (unsigned)atomic_load(&q.dropped));
  return atomic_load(&q.dropped) == 3 * FRAME_QUEUE_SLOTS + 1 ? 0 : 1;
}
`;

test('frame queue and IP parsing behave on the host', () => {
  requireGcc();
  const dir = mkdtempSync(join(tmpdir(), 'esp32-portable-'));
  try {
    writeFileSync(join(dir, 'check.c'), PORTABLE_CHECK);
    const exe = join(dir, 'check');
    const cc = spawnSync('gcc', ['-std=c11', '-Wall', '-Werror', `-I${MAIN}`, join(dir, 'check.c'),
      join(MAIN, 'frame_queue.c'), join(MAIN, 'ip_config.c'), '-o', exe], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(cc.status, 0, cc.stderr);
    const run = spawnSync(exe, { encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Kconfig entries: symbol name -> the lines of its block. */
function kconfigBlocks(text: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*(?:config|menuconfig|choice)\s+(\w+)/);
    if (m) { current = []; blocks.set(m[1], current); continue; }
    if (/^\s*(endchoice|endif|endmenu|if |menu )/.test(line)) { current = null; continue; }
    current?.push(line.trim());
  }
  return blocks;
}

const KCONFIG = () => readFileSync(join(MAIN, 'Kconfig.projbuild'), 'utf8');
const PRESETS = ['ASNET_BOARD_WT32_ETH01', 'ASNET_BOARD_OLIMEX_ESP32_POE', 'ASNET_BOARD_ESP32_ETHERNET_KIT'];
const PIN_SYMBOLS = ['ASNET_PHY_MODEL', 'ASNET_PHY_ADDR', 'ASNET_MDC_GPIO', 'ASNET_MDIO_GPIO',
  'ASNET_RMII_CLK_EXT_IN', 'ASNET_RMII_CLK_GPIO', 'ASNET_PHY_POWER_GPIO', 'ASNET_PHY_RESET_GPIO'];

test('every Kconfig board preset sets every EMAC pin symbol', () => {
  const blocks = kconfigBlocks(KCONFIG());
  for (const preset of PRESETS) assert.ok(blocks.has(preset), `preset ${preset} missing`);
  for (const sym of PIN_SYMBOLS) {
    const lines = blocks.get(sym);
    assert.ok(lines, `symbol ${sym} missing`);
    for (const preset of PRESETS) {
      const hits: string[] = lines.filter((l) => new RegExp(`^default \\S+ if ${preset}$`).test(l));
      assert.equal(hits.length, 1, `${sym} must have exactly one default for ${preset}`);
    }
  }
});

test('every CONFIG_ASNET_* used in the C sources is declared in Kconfig.projbuild', () => {
  const declared = new Set(kconfigBlocks(KCONFIG()).keys());
  const used = new Set<string>();
  for (const f of readdirSync(MAIN).filter((n) => /\.[ch]$/.test(n))) {
    for (const m of readFileSync(join(MAIN, f), 'utf8').matchAll(/CONFIG_(ASNET_\w+)/g)) used.add(m[1]);
  }
  assert.ok(used.size > 10, 'expected the C to read the menuconfig settings');
  const missing = [...used].filter((s) => !declared.has(s));
  assert.deepEqual(missing, []);
});

test('CMake and the component manifest reference what exists', () => {
  const cmake = readFileSync(join(MAIN, 'CMakeLists.txt'), 'utf8');
  const srcs = cmake.match(/^\s*SRCS\s+([^\n]+)/m)![1].match(/"([^"]+)"/g)!.map((s) => s.slice(1, -1));
  for (const s of srcs) assert.ok(existsSync(join(MAIN, s)), `SRCS names missing ${s}`);
  const cFiles = readdirSync(MAIN).filter((f) => f.endsWith('.c')).sort();
  assert.deepEqual(srcs.filter((s) => !s.startsWith('../')).sort(), cFiles, 'every .c in main/ is built, and only those');
  for (const [cfg, files] of [['else', ['../../common/runtime_wamr.c', '../../common/stack_natives.c']],
    ['CONFIG_ASNET_RUNTIME_WASM2C', ['../../common/runtime_wasm2c.c', '../../common/wasm_rt_static.c']]] as const) {
    for (const f of files) {
      assert.ok(cmake.includes(`"${f}"`), `${cfg}: RUNTIME_SRCS must name ${f}`);
      assert.ok(existsSync(join(MAIN, f)), `${f} missing`);
    }
  }
  assert.match(readFileSync(join(MAIN, 'Kconfig.projbuild'), 'utf8'), /config ASNET_RUNTIME_WASM2C/, 'the wasm2c option exists');
  for (const dir of cmake.match(/INCLUDE_DIRS\s+([^\n]+)/)![1].match(/"([^"]+)"/g)!) {
    assert.ok(existsSync(join(MAIN, dir.slice(1, -1))), `INCLUDE_DIRS names missing ${dir}`);
  }
  assert.match(cmake, /EMBED_FILES "\$\{STACK_WASM\}"/);
  assert.match(cmake, /"\$\{ASNET_ROOT\}\/build\/stack\.wasm"/);
  assert.ok(existsSync(join(MAIN, '..', '..', '..', 'build', 'stack.wasm')), 'ASNET_ROOT must be the repo root');
  const app = readFileSync(join(MAIN, 'app_main.c'), 'utf8');
  assert.match(app, /_binary_stack_wasm_start/, 'EMBED_FILES symbol of stack.wasm');
  const manifest = readFileSync(join(MAIN, 'idf_component.yml'), 'utf8');
  assert.match(manifest, /^\s+espressif\/wasm-micro-runtime: "\^2\.\d+\.\d+"$/m);
  assert.match(manifest, /^\s+idf: ">=5\.1"$/m);
  const top = readFileSync(join(BOARD, 'CMakeLists.txt'), 'utf8');
  assert.match(top, /include\(\$ENV\{IDF_PATH\}\/tools\/cmake\/project\.cmake\)/);
  for (const f of ['sdkconfig.defaults', 'README.md']) assert.ok(existsSync(join(BOARD, f)), `${f} missing`);
});
