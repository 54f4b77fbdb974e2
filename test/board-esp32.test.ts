// boards/esp32: the ESP-IDF project cannot be built here (no ESP-IDF in CI), so this suite checks
// everything that can be checked without it:
// - the WAMR natives table (boards/common/stack_natives.c) names exactly the imports of build/stack.wasm,
//   with WAMR signatures that match the wasm function types (import section parsed here);
// - the board's C files that do not include ESP-IDF/WAMR/FreeRTOS headers compile with the host
//   gcc against boards/common, and the portable pieces (frame queue, IP parsing) run correctly;
// - EVERY C file the firmware builds (app_main.c included) compiles with the host gcc against the
//   stand-in ESP-IDF/FreeRTOS/WAMR headers of boards/esp32/test/standins, once per board preset,
//   runtime and ESP-IDF major version, with sdkconfig.h evaluated from Kconfig.projbuild's defaults
//   (the real-header check is boards/esp32/check-idf.sh, which needs an ESP-IDF tree);
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
const PIN_SYMBOLS = ['ASNET_PHY_ADDR', 'ASNET_MDC_GPIO', 'ASNET_MDIO_GPIO',
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

test('every EMAC preset selects exactly one PHY chip, and only EMAC presets do', () => {
  for (const preset of [...PRESETS, 'ASNET_BOARD_CUSTOM_EMAC', 'ASNET_BOARD_W5500_SPI', 'ASNET_BOARD_WIFI_STA']) {
    const extra = preset === 'ASNET_BOARD_CUSTOM_EMAC' ? ['ASNET_CUSTOM_PHY_IP101'] : [];
    const cfg = evaluateKconfig([preset, ...extra], ESP32_IDF);
    const phys = ['ASNET_PHY_LAN87XX', 'ASNET_PHY_IP101'].filter((p) => cfg.get(p) === 'y');
    const macs = ['ASNET_MAC_EMAC', 'ASNET_MAC_W5500', 'ASNET_MAC_WIFI_STA'].filter((m) => cfg.get(m) === 'y');
    assert.equal(macs.length, 1, `${preset}: MACs ${macs}`);
    assert.equal(phys.length, macs[0] === 'ASNET_MAC_EMAC' ? 1 : 0, `${preset}: PHYs ${phys}`);
  }
  assert.equal(evaluateKconfig(['ASNET_BOARD_ESP32_ETHERNET_KIT'], ESP32_IDF).get('ASNET_PHY_IP101'), 'y');
  assert.equal(evaluateKconfig(['ASNET_BOARD_WT32_ETH01'], ESP32_IDF).get('ASNET_PHY_LAN87XX'), 'y');
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
  assert.match(cmake, /EMBED_FILES "\$\{STACK_MODULE\}"/);
  assert.match(cmake, /set\(STACK_MODULE "\$\{CMAKE_CURRENT_BINARY_DIR\}\/stack_module\.bin"\)/);
  assert.match(cmake, /"\$\{ASNET_ROOT\}\/build\/\$\{STACK_NAME\}\.wasm"/);
  assert.match(cmake, /set\(STACK_NAME "stack\.server"\)/);
  assert.ok(existsSync(join(MAIN, '..', '..', '..', 'build', 'stack.wasm')), 'ASNET_ROOT must be the repo root');
  const app = readFileSync(join(MAIN, 'app_main.c'), 'utf8');
  assert.match(app, /asm\("_binary_stack_module_bin_start"\)/, 'EMBED_FILES symbol of stack_module.bin');
  assert.match(app, /asm\("_binary_stack_module_bin_end"\)/);
  const manifest = readFileSync(join(MAIN, 'idf_component.yml'), 'utf8');
  assert.match(manifest, /^\s+espressif\/wasm-micro-runtime: "2\.\d+\.\d+(~\d+)?"$/m, 'WAMR pinned to one version');
  assert.match(manifest, /^\s+idf: ">=5\.1,<7"$/m);
  for (const c of ['lan87xx', 'ip101', 'w5500']) {
    assert.match(manifest, new RegExp(`^  espressif/${c}:\\n    version: "[^"]+"\\n    rules:\\n      - if: "idf_version >=6\\.0"$`, 'm'), `${c} for IDF 6`);
  }
  const top = readFileSync(join(BOARD, 'CMakeLists.txt'), 'utf8');
  assert.match(top, /include\(\$ENV\{IDF_PATH\}\/tools\/cmake\/project\.cmake\)/);
  for (const f of ['sdkconfig.defaults', 'README.md', 'check-idf.sh']) assert.ok(existsSync(join(BOARD, f)), `${f} missing`);
});

// ---- Every C file against stand-in ESP-IDF headers, per preset/runtime/IDF version ----

interface KSymbol { name: string; type: 'bool' | 'int' | 'string'; ifs: string[]; depends: string[];
  defaults: { value: string; cond: string | null }[] }

/** The config symbols of Kconfig.projbuild with their type, defaults, `depends on` and enclosing ifs. */
function kconfigSymbols(text: string): KSymbol[] {
  const out: KSymbol[] = [];
  const ifs: string[] = [];
  let cur: KSymbol | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^if (.+)$/))) { ifs.push(m[1]); cur = null; continue; }
    if (line === 'endif') { ifs.pop(); cur = null; continue; }
    if ((m = line.match(/^config (\w+)$/))) {
      cur = { name: m[1], type: 'bool', ifs: [...ifs], depends: [], defaults: [] };
      out.push(cur);
      continue;
    }
    if (/^(choice|endchoice|menu|endmenu)\b/.test(line)) { cur = null; continue; }
    if (!cur) continue;
    if ((m = line.match(/^(bool|int|string)\b/))) cur.type = m[1] as KSymbol['type'];
    else if ((m = line.match(/^depends on (.+)$/))) cur.depends.push(m[1]);
    else if ((m = line.match(/^default (\S+|"[^"]*")(?: if (.+))?$/))) cur.defaults.push({ value: m[1], cond: m[2] ?? null });
  }
  return out;
}

/** Kconfig conditions as our Kconfig writes them: SYMBOL, !SYMBOL, joined by && and || (no parens). */
function holds(cond: string, cfg: Map<string, string>): boolean {
  assert.ok(!/[()]/.test(cond), `condition with parentheses not supported here: ${cond}`);
  return cond.split('||').some((alt) => alt.split('&&').every((t) => {
    const term = t.trim();
    const neg = term.startsWith('!');
    const v = cfg.get(neg ? term.slice(1) : term) === 'y';
    return neg ? !v : v;
  }));
}

/** Values of every ASNET symbol for a choice selection (board, runtime, ...) on top of IDF symbols:
 * first default whose condition holds, symbols in an unmet `if`/`depends on` left undefined. */
function evaluateKconfig(selected: string[], idf: Record<string, string>): Map<string, string> {
  const cfg = new Map(Object.entries(idf));
  for (const s of selected) cfg.set(s, 'y');
  for (const sym of kconfigSymbols(KCONFIG())) {
    if (cfg.has(sym.name)) continue;
    if (![...sym.ifs, ...sym.depends].every((c) => holds(c, cfg))) continue;
    const d = sym.defaults.find((x) => x.cond === null || holds(x.cond, cfg));
    if (sym.type === 'bool') { if (d?.value === 'y') cfg.set(sym.name, 'y'); continue; }
    // a choice member default like "default ASNET_X" is not a value here: only the selection counts
    if (d && !/^ASNET_/.test(d.value)) cfg.set(sym.name, d.value);
  }
  return cfg;
}

function sdkconfigHeader(cfg: Map<string, string>, types: Map<string, KSymbol['type']>): string {
  const lines = ['#pragma once'];
  for (const [k, v] of cfg) {
    if (v === 'n') continue;
    const type = types.get(k);
    lines.push(`#define CONFIG_${k} ${type === 'string' ? v : v === 'y' ? '1' : v}`);
  }
  return lines.join('\n') + '\n';
}

const ESP32_IDF = { IDF_TARGET_ESP32: 'y', ETH_USE_ESP32_EMAC: 'y', ETH_USE_SPI_ETHERNET: 'y', ESP_WIFI_ENABLED: 'y',
  FREERTOS_HZ: '1000' };
const C3_IDF = { IDF_TARGET_ESP32C3: 'y', ETH_USE_SPI_ETHERNET: 'y', ESP_WIFI_ENABLED: 'y', FREERTOS_HZ: '1000' };

interface Combo { name: string; selected: string[]; idf: Record<string, string>; version: [number, number, number] }
const W5500_5X = { CONFIG_ETH_SPI_ETHERNET_W5500: 'y' };
const strip = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/^CONFIG_/, ''), v]));
const COMBOS: Combo[] = [
  { name: 'wt32-eth01 interp 5.1', selected: ['ASNET_BOARD_WT32_ETH01', 'ASNET_RUNTIME_WAMR_INTERP', 'ASNET_STACK_ONE_PAGE'], idf: ESP32_IDF, version: [5, 1, 7] },
  { name: 'olimex aot 5.3', selected: ['ASNET_BOARD_OLIMEX_ESP32_POE', 'ASNET_RUNTIME_WAMR_AOT', 'ASNET_STACK_ONE_PAGE'], idf: ESP32_IDF, version: [5, 3, 5] },
  { name: 'ethernet-kit server 6.0', selected: ['ASNET_BOARD_ESP32_ETHERNET_KIT', 'ASNET_RUNTIME_WAMR_INTERP', 'ASNET_STACK_SERVER'], idf: { ...ESP32_IDF, SPIRAM: 'y' }, version: [6, 0, 2] },
  { name: 'ethernet-kit 5.5', selected: ['ASNET_BOARD_ESP32_ETHERNET_KIT', 'ASNET_RUNTIME_WAMR_INTERP', 'ASNET_STACK_SERVER'], idf: { ...ESP32_IDF, SPIRAM: 'y' }, version: [5, 5, 5] },
  { name: 'custom-emac ip101 wasm2c 5.5', selected: ['ASNET_BOARD_CUSTOM_EMAC', 'ASNET_CUSTOM_PHY_IP101', 'ASNET_RUNTIME_WASM2C', 'ASNET_STACK_ONE_PAGE'], idf: ESP32_IDF, version: [5, 5, 5] },
  { name: 'w5500 c3 5.1.3 (no poll field)', selected: ['ASNET_BOARD_W5500_SPI', 'ASNET_RUNTIME_WAMR_INTERP', 'ASNET_STACK_ONE_PAGE'], idf: { ...C3_IDF, ...strip(W5500_5X) }, version: [5, 1, 3] },
  { name: 'w5500 c3 5.5', selected: ['ASNET_BOARD_W5500_SPI', 'ASNET_RUNTIME_WAMR_INTERP', 'ASNET_STACK_ONE_PAGE'], idf: { ...C3_IDF, ...strip(W5500_5X) }, version: [5, 5, 5] },
  { name: 'w5500 c3 6.0', selected: ['ASNET_BOARD_W5500_SPI', 'ASNET_RUNTIME_WAMR_INTERP', 'ASNET_STACK_ONE_PAGE'], idf: C3_IDF, version: [6, 0, 2] },
  { name: 'wifi-sta c3 5.5', selected: ['ASNET_BOARD_WIFI_STA', 'ASNET_RUNTIME_WAMR_INTERP', 'ASNET_STACK_ONE_PAGE'], idf: C3_IDF, version: [5, 5, 5] },
  { name: 'wifi-sta esp32 6.0 wasm2c', selected: ['ASNET_BOARD_WIFI_STA', 'ASNET_RUNTIME_WASM2C', 'ASNET_STACK_ONE_PAGE'], idf: ESP32_IDF, version: [6, 0, 2] },
];

const STANDINS = join(BOARD, 'test', 'standins');

/** The files main/CMakeLists.txt builds for a runtime: SRCS plus that runtime's RUNTIME_SRCS. */
function firmwareSources(wasm2c: boolean): string[] {
  const cmake = readFileSync(join(MAIN, 'CMakeLists.txt'), 'utf8');
  const srcs = cmake.match(/^\s*SRCS\s+([^\n]+)/m)![1].match(/"([^"]+)"/g)!.map((x) => x.slice(1, -1));
  const runtime = cmake.match(wasm2c ? /WASM2C\)[\s\S]*?set\(RUNTIME_SRCS ([^\n]+)\)/ : /else\(\)\s*set\(RUNTIME_SRCS ([^\n]+)\)/)![1]
    .match(/"([^"$]+)"/g)!.map((x) => x.slice(1, -1));
  return [...srcs, ...runtime].map((f) => join(MAIN, f));
}

test('every C file of the firmware compiles against the stand-in ESP-IDF headers, per preset', () => {
  requireGcc();
  const wasm2cOk = spawnSync('sh', ['-c', 'command -v wasm2c']).status === 0;
  assert.ok(wasm2cOk, 'wasm2c is missing: apt-get install -y wabt');
  assert.ok(existsSync(WASM), `${WASM} missing: run npm run build`);
  const types = new Map(kconfigSymbols(KCONFIG()).map((s) => [s.name, s.type]));
  const dir = mkdtempSync(join(tmpdir(), 'esp32-standin-'));
  try {
    const gen = spawnSync('wasm2c', [WASM, '-n', 'stack', '-o', join(dir, 'stack.c')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(gen.status, 0, gen.stderr);
    const mainFiles = readdirSync(MAIN).filter((f) => f.endsWith('.c')).map((f) => join(MAIN, f)).sort();
    for (const combo of COMBOS) {
      const cfg = evaluateKconfig(combo.selected, combo.idf);
      for (const s of combo.selected) assert.ok(types.has(s), `${combo.name}: ${s} is not in Kconfig.projbuild`);
      writeFileSync(join(dir, 'asnet_sdkconfig.h'), sdkconfigHeader(cfg, types));
      const wasm2c = combo.selected.includes('ASNET_RUNTIME_WASM2C');
      const files = firmwareSources(wasm2c);
      for (const f of mainFiles) assert.ok(files.includes(f), `${combo.name}: ${f} is not compiled`);
      for (const f of files) {
        const r = spawnSync('gcc', ['-std=gnu17', '-Wall', '-Wextra', '-Werror', '-fsyntax-only',
          '-DESP_PLATFORM', `-DSTANDIN_IDF_MAJOR=${combo.version[0]}`, `-DSTANDIN_IDF_MINOR=${combo.version[1]}`,
          `-DSTANDIN_IDF_PATCH=${combo.version[2]}`, '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0',
          `-I${dir}`, `-I${MAIN}`, `-I${COMMON}`, `-I${STANDINS}`, '-I/usr/src/wasm2c', f],
        { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, `${combo.name}: ${f}:\n${r.stderr}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
