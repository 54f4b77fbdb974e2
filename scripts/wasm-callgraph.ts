// A small WebAssembly binary reader for static proofs over the compiled stack: functions (imported
// and defined, with names from the "name" custom section when present), direct call edges,
// call_indirect sites (resolved to the table's functions of the same type), exports, the start
// function, imports, globals written and memory.grow per function. Used by
// test/noalloc-static.test.ts (no call path from an export reaches the allocator) and reusable for
// other whole-program checks (call depth bounds). WebAssembly core spec 2.0, binary format (§5):
// every instruction is decoded with its immediates, so an opcode this reader does not know stops
// it with the function and byte offset instead of being skipped.
//
// CLI: `tsx scripts/wasm-callgraph.ts build/stack.wasm` prints a summary and the allocator paths.
import { readFileSync } from 'node:fs';

export type FuncType = { params: number[]; results: number[] };
export type Import = { module: string; name: string; kind: 'func' | 'table' | 'memory' | 'global' | 'tag'; index: number };
export type Export = { name: string; kind: 'func' | 'table' | 'memory' | 'global' | 'tag'; index: number };
export type IndirectSite = { type: number; table: number; offset: number };
export type Func = {
  index: number;
  name: string | null;
  type: number;
  imported: boolean;
  import?: { module: string; name: string };
  /** Direct callees (call and return_call), each once, in first-seen order. */
  calls: number[];
  /** Every call_indirect / return_call_indirect, with its signature. */
  indirect: IndirectSite[];
  /** Globals this function writes (global.set), each once. */
  globalSets: number[];
  memoryGrow: boolean;
  /** Byte offset of the body in the file and its size (0 for imports). */
  offset: number;
  size: number;
};
export type Global = { type: number; mutable: boolean; name: string | null; imported: boolean };
export type WasmModule = {
  types: FuncType[];
  imports: Import[];
  functions: Func[];
  globals: Global[];
  exports: Export[];
  start: number | null;
  /** Function indices placed in a table by element segments: the possible call_indirect targets. */
  tableFunctions: { table: number; func: number }[];
  hasNames: boolean;
  customSections: string[];
};

const KIND = ['func', 'table', 'memory', 'global', 'tag'] as const;

export class WasmReadError extends Error {}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array, readonly end = b.length) {}
  fail(msg: string): never { throw new WasmReadError(`wasm offset 0x${this.pos.toString(16)}: ${msg}`); }
  byte(): number { if (this.pos >= this.end) this.fail('unexpected end'); return this.b[this.pos++]; }
  u32(): number {
    let r = 0, shift = 0;
    for (;;) {
      const x = this.byte();
      r += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) return r;
      shift += 7;
      if (shift > 35) this.fail('LEB128 too long');
    }
  }
  /** Signed LEB128 of up to `bits` bits: only skipped (the values do not matter here). */
  sleb(bits: number): void {
    for (let n = 0; ; n++) {
      if (n * 7 > bits + 7) this.fail('signed LEB128 too long');
      if (!(this.byte() & 0x80)) return;
    }
  }
  bytes(n: number): Uint8Array { if (this.pos + n > this.end) this.fail('unexpected end'); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  name(): string { return new TextDecoder().decode(this.bytes(this.u32())); }
  valtype(): number { return this.byte(); }
  limits(): void { const f = this.byte(); this.u32(); if (f & 1) this.u32(); }
}

/** Reads a module. Throws WasmReadError with the byte offset on anything malformed or unknown. */
export function readWasm(bytes: Uint8Array): WasmModule {
  const r = new Reader(bytes);
  const magic = r.bytes(8);
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d || magic[4] !== 1) r.fail('not a wasm 1 module');
  const m: WasmModule = { types: [], imports: [], functions: [], globals: [], exports: [], start: null, tableFunctions: [], hasNames: false, customSections: [] };
  let defined: number[] = [];
  const bodies: { offset: number; end: number }[] = [];
  while (r.pos < bytes.length) {
    const id = r.byte(), size = r.u32(), end = r.pos + size;
    if (end > bytes.length) r.fail(`section ${id} runs past the end`);
    const s = new Reader(bytes, end);
    s.pos = r.pos;
    switch (id) {
      case 0: customSection(s, m); break;
      case 1: for (let n = s.u32(); n > 0; n--) {
        if (s.byte() !== 0x60) s.fail('function type expected');
        const params = Array.from({ length: s.u32() }, () => s.valtype());
        const results = Array.from({ length: s.u32() }, () => s.valtype());
        m.types.push({ params, results });
      } break;
      case 2: for (let n = s.u32(); n > 0; n--) {
        const module = s.name(), name = s.name(), k = s.byte();
        const kind = KIND[k] ?? s.fail(`import kind ${k}`);
        let index = 0;
        if (kind === 'func') {
          index = m.functions.length;
          m.functions.push(func(index, s.u32(), true, { module, name }));
        } else if (kind === 'table') { s.valtype(); s.limits(); }
        else if (kind === 'memory') s.limits();
        else if (kind === 'global') { index = m.globals.length; const type = s.valtype(); m.globals.push({ type, mutable: s.byte() === 1, name: null, imported: true }); }
        else { s.byte(); s.u32(); }
        m.imports.push({ module, name, kind, index });
      } break;
      case 3: defined = Array.from({ length: s.u32() }, () => s.u32()); break;
      case 6: for (let n = s.u32(); n > 0; n--) {
        const type = s.valtype(), mutable = s.byte() === 1;
        constExpr(s);
        m.globals.push({ type, mutable, name: null, imported: false });
      } break;
      case 7: for (let n = s.u32(); n > 0; n--) {
        const name = s.name(), k = s.byte();
        m.exports.push({ name, kind: KIND[k] ?? s.fail(`export kind ${k}`), index: s.u32() });
      } break;
      case 8: m.start = s.u32(); break;
      case 9: elementSection(s, m); break;
      case 10: {
        const n = s.u32();
        if (n !== defined.length) s.fail(`code section has ${n} bodies for ${defined.length} functions`);
        for (let i = 0; i < n; i++) { const len = s.u32(); bodies.push({ offset: s.pos, end: s.pos + len }); s.pos += len; }
      } break;
      default: s.pos = end;            // table, memory, data count, data: nothing a call graph needs
    }
    if (id !== 0 && s.pos !== end) s.fail(`section ${id} length mismatch`);
    r.pos = end;
  }
  const firstDefined = m.functions.length;
  defined.forEach((t, i) => m.functions.push(func(firstDefined + i, t, false)));
  bodies.forEach((b, i) => decodeBody(bytes, b.offset, b.end, m.functions[firstDefined + i]));
  applyNames(m);
  return m;
}

function func(index: number, type: number, imported: boolean, imp?: { module: string; name: string }): Func {
  return { index, name: null, type, imported, import: imp, calls: [], indirect: [], globalSets: [], memoryGrow: false, offset: 0, size: 0 };
}

let pendingNames: { funcs: Map<number, string>; globals: Map<number, string> } | null = null;

function customSection(s: Reader, m: WasmModule): void {
  const name = s.name();
  m.customSections.push(name);
  if (name !== 'name') { s.pos = s.end; return; }
  const funcs = new Map<number, string>(), globals = new Map<number, string>();
  while (s.pos < s.end) {
    const sub = s.byte(), len = s.u32(), end = s.pos + len;
    if (sub === 1 || sub === 7) {                 // function names, global names (extended name section)
      const into = sub === 1 ? funcs : globals;
      for (let n = s.u32(); n > 0; n--) { const i = s.u32(); into.set(i, s.name()); }
    }
    s.pos = end;
  }
  m.hasNames = true;
  pendingNames = { funcs, globals };
}

function applyNames(m: WasmModule): void {
  if (!pendingNames) return;
  for (const [i, n] of pendingNames.funcs) if (m.functions[i]) m.functions[i].name = n;
  for (const [i, n] of pendingNames.globals) if (m.globals[i]) m.globals[i].name = n;
  pendingNames = null;
}

function constExpr(s: Reader): number[] {
  const funcs: number[] = [];
  for (;;) {
    const op = s.byte();
    if (op === 0x0b) return funcs;
    if (op === 0x41) s.sleb(32);
    else if (op === 0x42) s.sleb(64);
    else if (op === 0x43) s.pos += 4;
    else if (op === 0x44) s.pos += 8;
    else if (op === 0x23) s.u32();
    else if (op === 0xd0) s.byte();
    else if (op === 0xd2) funcs.push(s.u32());
    else s.fail(`constant expression opcode 0x${op.toString(16)}`);
  }
}

// Element segments (§5.5.12, the eight flag forms): which functions each table can hold.
function elementSection(s: Reader, m: WasmModule): void {
  for (let n = s.u32(); n > 0; n--) {
    const flags = s.u32();
    let table = 0;
    if (flags === 2 || flags === 6) table = s.u32();
    if (!(flags & 1)) constExpr(s);                          // active: offset
    if (flags & 3 && !(flags & 4)) s.byte();                 // elemkind
    if (flags & 3 && flags & 4) s.valtype();                 // reftype
    const count = s.u32();
    const passive = (flags & 3) === 1 || (flags & 3) === 3;  // passive or declarative: not in a table
    for (let i = 0; i < count; i++) {
      const fs = flags & 4 ? constExpr(s) : [s.u32()];
      if (!passive) for (const f of fs) m.tableFunctions.push({ table, func: f });
    }
  }
}

function addOnce(a: number[], v: number): void { if (!a.includes(v)) a.push(v); }

// Instruction decoding (§5.4). Opcodes with no immediates fall through the table below.
function decodeBody(bytes: Uint8Array, start: number, end: number, f: Func): void {
  f.offset = start;
  f.size = end - start;
  const s = new Reader(bytes, end);
  s.pos = start;
  for (let groups = s.u32(); groups > 0; groups--) { s.u32(); s.valtype(); }
  const where = () => `function ${f.name ?? f.index} at 0x${s.pos.toString(16)}`;
  while (s.pos < end) {
    const at = s.pos, op = s.byte();
    if (op === 0x10 || op === 0x12) { addOnce(f.calls, s.u32()); continue; }       // call, return_call
    if (op === 0x11 || op === 0x13) { const type = s.u32(); f.indirect.push({ type, table: s.u32(), offset: at }); continue; }
    if (op === 0x24) { addOnce(f.globalSets, s.u32()); continue; }                 // global.set
    if (op === 0x40) { s.byte(); f.memoryGrow = true; continue; }                   // memory.grow
    if (op === 0x02 || op === 0x03 || op === 0x04) { blockType(s); continue; }
    if (op === 0x0c || op === 0x0d || (op >= 0x20 && op <= 0x23) || op === 0x25 || op === 0x26 || op === 0xd2) { s.u32(); continue; }
    if (op === 0x0e) { for (let n = s.u32() + 1; n > 0; n--) s.u32(); continue; }  // br_table
    if (op === 0x1c) { for (let n = s.u32(); n > 0; n--) s.valtype(); continue; }  // select t*
    if (op >= 0x28 && op <= 0x3e) { s.u32(); s.u32(); continue; }                    // loads, stores: memarg
    if (op === 0x3f) { s.byte(); continue; }                                         // memory.size
    if (op === 0x41) { s.sleb(32); continue; }
    if (op === 0x42) { s.sleb(64); continue; }
    if (op === 0x43) { s.pos += 4; continue; }
    if (op === 0x44) { s.pos += 8; continue; }
    if (op === 0xd0) { s.byte(); continue; }                                         // ref.null t
    if (op === 0xfc) { prefixFC(s, f, where); continue; }
    if (op === 0x00 || op === 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b ||
        (op >= 0x45 && op <= 0xc4) || op === 0xd1) continue;
    throw new WasmReadError(`unknown opcode 0x${op.toString(16)} in ${where()}`);
  }
  if (bytes[end - 1] !== 0x0b) throw new WasmReadError(`function ${f.index}: body does not end with 'end'`);
}

function blockType(s: Reader): void {
  const b = s.b[s.pos];
  if (b === 0x40 || b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) { s.pos++; return; }
  s.sleb(33);                                                                        // type index
}

function prefixFC(s: Reader, f: Func, where: () => string): void {
  const sub = s.u32();
  if (sub <= 7) return;                                  // saturating truncations
  switch (sub) {
    case 8: s.u32(); s.byte(); return;                   // memory.init data 0
    case 9: s.u32(); return;                             // data.drop
    case 10: s.byte(); s.byte(); return;                 // memory.copy 0 0
    case 11: s.byte(); return;                           // memory.fill 0
    case 12: s.u32(); s.u32(); return;                   // table.init
    case 13: s.u32(); return;                            // elem.drop
    case 14: s.u32(); s.u32(); return;                   // table.copy
    case 15: case 16: case 17: s.u32(); return;          // table.grow, table.size, table.fill
    default: throw new WasmReadError(`unknown 0xfc ${sub} in ${where()}`);
  }
}

/** Every function `f` may call: its direct callees and, for each call_indirect, every table function of that type. */
export function callees(m: WasmModule, f: Func): number[] {
  const out = [...f.calls];
  for (const site of f.indirect) {
    for (const t of m.tableFunctions) if (t.table === site.table && sameType(m, m.functions[t.func].type, site.type)) addOnce(out, t.func);
  }
  return out;
}

function sameType(m: WasmModule, a: number, b: number): boolean {
  const x = m.types[a], y = m.types[b];
  return a === b || (!!x && !!y && x.params.join() === y.params.join() && x.results.join() === y.results.join());
}

/** Breadth-first from `roots`: for each reached function, the caller it was first reached from (-1 for a root). */
export function reach(m: WasmModule, roots: number[]): Map<number, number> {
  const from = new Map<number, number>();
  const queue: number[] = [];
  for (const r of roots) if (!from.has(r)) { from.set(r, -1); queue.push(r); }
  while (queue.length) {
    const f = queue.shift()!;
    for (const c of callees(m, m.functions[f])) if (!from.has(c)) { from.set(c, f); queue.push(c); }
  }
  return from;
}

/** The call chain from a root to `target` in a `reach` result, as function indices. */
export function chain(from: Map<number, number>, target: number): number[] {
  const path: number[] = [];
  for (let f = target; f !== -1; f = from.get(f)!) path.unshift(f);
  return path;
}

export function funcName(m: WasmModule, i: number): string {
  const f = m.functions[i];
  return f.name ?? (f.import ? `${f.import.module}.${f.import.name}` : `func[${i}]`);
}

/** The exported functions, the roots of every call the host can make. */
export function exportedFunctions(m: WasmModule): { name: string; index: number }[] {
  return m.exports.filter((e) => e.kind === 'func').map((e) => ({ name: e.name, index: e.index }));
}

/** The module's bytes without custom sections (names, source maps): what is left is what runs. */
export function stripCustomSections(bytes: Uint8Array): Uint8Array {
  const r = new Reader(bytes);
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  r.pos = 8;
  while (r.pos < bytes.length) {
    const start = r.pos, id = r.byte(), size = r.u32(), end = r.pos + size;
    if (id !== 0) parts.push(bytes.subarray(start, end));
    r.pos = end;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// ---- the allocator and the proof that no export reaches it ----

/** Function names of AssemblyScript's runtimes (stub, tlsf, incremental GC) and their entry points. */
export const ALLOCATOR_NAME = /^(~lib\/rt\/(stub|tlsf|itcms|tcms|common)\/|~lib\/rt\/__(new|alloc|renew|realloc)$)|(^|\/)__(new|alloc|renew|realloc)$/;
/** The stub runtime's bump pointer (a global written on every allocation). */
export const BUMP_POINTER_NAME = /^~lib\/rt\/(stub\/offset|tlsf\/ROOT)$/;

export type AllocSite = { func: number; why: string };

/**
 * Functions that allocate: named like the runtime's allocator, or writing its bump pointer (the
 * optimizer inlines the stub's `__alloc` into its callers, so the name alone is not enough), or
 * executing memory.grow (the stub grows memory when the bump pointer passes the end; the stack's
 * memory is fixed, so nothing else has a reason to). Without a name section only memory.grow is
 * seen: `requireNames` makes that an error.
 */
export function allocatorSites(m: WasmModule): AllocSite[] {
  const bump = new Set(m.globals.map((g, i) => (g.name && BUMP_POINTER_NAME.test(g.name) ? i : -1)).filter((i) => i >= 0));
  const out: AllocSite[] = [];
  for (const f of m.functions) {
    if (f.name && ALLOCATOR_NAME.test(f.name)) out.push({ func: f.index, why: `is the runtime's ${f.name}` });
    else if (f.globalSets.some((g) => bump.has(g))) out.push({ func: f.index, why: `writes the bump pointer ${[...bump].map((g) => m.globals[g].name).join()}` });
    else if (f.memoryGrow) out.push({ func: f.index, why: 'executes memory.grow' });
  }
  return out;
}

export type AllocPath = { export: string; path: string[]; why: string };

/** Every export from which a call path reaches an allocating function (the start function is exempt). */
export function allocationPaths(m: WasmModule): AllocPath[] {
  const sites = new Map(allocatorSites(m).map((s) => [s.func, s.why]));
  const out: AllocPath[] = [];
  for (const e of exportedFunctions(m)) {
    const from = reach(m, [e.index]);
    const hit = [...from.keys()].find((f) => sites.has(f));
    if (hit !== undefined) out.push({ export: e.name, path: chain(from, hit).map((f) => funcName(m, f)), why: sites.get(hit)! });
  }
  return out;
}

// CLI
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  let bad = 0;
  for (const file of process.argv.slice(2)) {
    const m = readWasm(readFileSync(file));
    const defined = m.functions.filter((f) => !f.imported);
    console.log(`${file}: ${m.functions.length} functions (${m.imports.filter((i) => i.kind === 'func').length} imported), ` +
      `${defined.reduce((n, f) => n + f.calls.length, 0)} call edges, ${defined.reduce((n, f) => n + f.indirect.length, 0)} call_indirect sites, ` +
      `${exportedFunctions(m).length} exported, start ${m.start === null ? 'none' : funcName(m, m.start)}, names ${m.hasNames ? 'yes' : 'no'}`);
    for (const s of allocatorSites(m)) console.log(`  allocator: ${funcName(m, s.func)} ${s.why}`);
    for (const p of allocationPaths(m)) { bad++; console.log(`  ALLOCATES: ${p.path.join(' -> ')} (${p.why})`); }
  }
  process.exit(bad ? 1 : 0);
}
