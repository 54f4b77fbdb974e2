// The call graph of a .wasm and the deepest path through it, for dropping wasm2c's per-call stack-
// depth counting (issue 19): when no function can reach itself and there is no call_indirect, the
// depth of any call into the module is bounded by the longest path of its graph, and the native
// stack it needs by the largest sum of frame sizes along a path (gcc -fstack-usage of the wasm2c
// output). Anything that cannot be bounded — recursion, call_indirect, a function table, a frame
// of dynamic size — is an error naming it. Reads the module with wabt's wasm-objdump.
//   npx tsx scripts/callgraph-depth.ts build/stack.wasm [stack.su ...]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type CallGraph = {
  imports: string[];                    // function imports, by index ("env.now_ms")
  exports: Map<number, string>;         // function index -> export name
  callees: Map<number, Set<number>>;    // defined function index -> direct callees
  indirect: number[];                   // functions containing call_indirect
  tables: number;                       // table entries (elements)
};

export class UnboundedError extends Error {}

export function readCallGraph(wasm: string): CallGraph {
  const details = execFileSync('wasm-objdump', ['-x', wasm], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const code = execFileSync('wasm-objdump', ['-d', wasm], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const imports: string[] = [];
  const exports = new Map<number, string>();
  let tables = 0;
  let section = '';
  for (const line of details.split('\n')) {
    const head = line.match(/^(\w+)\[\d+\]:/);
    if (head) { section = head[1]; continue; }
    if (section === 'Import') {
      const m = line.match(/^ - func\[(\d+)\] sig=\d+ <[^>]*> <- (\S+)/);
      if (m) imports[Number(m[1])] = m[2];
    } else if (section === 'Export') {
      const m = line.match(/^ - func\[(\d+)\] <[^>]*> -> "([^"]+)"/);
      if (m) exports.set(Number(m[1]), m[2]);
    } else if (section === 'Elem') {
      const m = line.match(/^ - elem\[\d+\]/);
      if (m) tables++;
    } else if (section === 'Table') {
      const m = line.match(/initial=(\d+)/);
      if (m) tables += Number(m[1]);
    }
  }
  const callees = new Map<number, Set<number>>();
  const indirect: number[] = [];
  let cur = -1;
  for (const line of code.split('\n')) {
    const f = line.match(/^[0-9a-f]+ func\[(\d+)\]/);
    if (f) { cur = Number(f[1]); callees.set(cur, new Set()); continue; }
    if (cur < 0) continue;
    const c = line.match(/\| call (\d+)/);
    if (c) callees.get(cur)!.add(Number(c[1]));
    else if (/\| (call_indirect|return_call_indirect|call_ref)\b/.test(line)) indirect.push(cur);
    else if (/\| return_call\b/.test(line)) throw new UnboundedError(`func[${cur}]: tail calls are not supported by this reader`);
  }
  if (callees.size === 0) throw new UnboundedError(`${wasm}: no function bodies found (wasm-objdump output changed?)`);
  return { imports, exports, callees, indirect, tables };
}

/** The C name wasm2c 1.0.32 gives a function of a module without a name section. */
export function cName(g: CallGraph, i: number, module = 'stack'): string {
  if (i < g.imports.length) { const [m, n] = g.imports[i].split('.'); return `Z_${m}Z_${n}`; }
  const e = g.exports.get(i);
  void module;
  return e !== undefined ? `w2c_${e}` : `w2c_f${i}`;
}

/** gcc -fstack-usage lines "file:line:col:name\tbytes\tqualifiers" -> function -> bytes (clones summed). */
export function readStackUsage(files: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const m = line.match(/:([\w.]+)\t(\d+)\t(\S+)$/);
      if (!m) throw new UnboundedError(`${f}: cannot read "${line}"`);
      if (m[3] !== 'static') throw new UnboundedError(`${f}: ${m[1]} has a ${m[3]} frame (${m[2]} bytes): not bounded`);
      // gcc's clones (w2c_f28.isra.0, .part.0, .constprop.0) of one function: counted together,
      // since a function may call its own split-off part.
      const base = m[1].split('.')[0];
      out.set(base, (out.get(base) ?? 0) + Number(m[2]));
    }
  }
  return out;
}

export type Deepest = { weight: number; path: number[] };

/**
 * Longest path from `root` by the sum of weight(f) over its functions (imports are leaves). Throws
 * UnboundedError on recursion (with the cycle) and on call_indirect or a function table.
 */
export function deepest(g: CallGraph, root: number, weight: (f: number) => number, memo = new Map<number, Deepest>()): Deepest {
  if (g.indirect.length) throw new UnboundedError(`call_indirect in func[${g.indirect.join('], func[')}]: depth not bounded`);
  if (g.tables) throw new UnboundedError(`the module has a function table (${g.tables} entries): depth not bounded`);
  const onPath: number[] = [];
  const visit = (f: number): Deepest => {
    const known = memo.get(f);
    if (known) return known;
    const at = onPath.indexOf(f);
    if (at >= 0) throw new UnboundedError(`recursion: ${[...onPath.slice(at), f].map((i) => cName(g, i)).join(' -> ')}`);
    onPath.push(f);
    let best: Deepest = { weight: 0, path: [] };
    for (const c of g.callees.get(f) ?? []) {
      const d = visit(c);
      if (d.weight > best.weight || (d.weight === best.weight && d.path.length > best.path.length)) best = d;
    }
    onPath.pop();
    const r = { weight: weight(f) + best.weight, path: [f, ...best.path] };
    memo.set(f, r);
    return r;
  };
  return visit(root);
}

/** Per export: deepest path in calls (frames) and, with stack usage, in native bytes. */
export function analyse(g: CallGraph, su?: Map<string, number>) {
  const frames = new Map<number, Deepest>();
  const bytes = new Map<number, Deepest>();
  const rows = [...g.exports].map(([f, name]) => {
    const depth = deepest(g, f, () => 1, frames);
    const native = su ? deepest(g, f, (i) => su.get(cName(g, i)) ?? 0, bytes) : undefined;
    // The exported wrapper Z_stackZ_<name> adds its own frame.
    const wrap = su?.get(`Z_stackZ_${name}`) ?? 0;
    return { name, depth: depth.path.length, path: depth.path, nativeBytes: native ? native.weight + wrap : undefined, nativePath: native?.path };
  });
  return rows.sort((a, b) => (b.nativeBytes ?? b.depth) - (a.nativeBytes ?? a.depth));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [wasm, ...suFiles] = process.argv.slice(2);
  if (!wasm) { console.error('usage: npx tsx scripts/callgraph-depth.ts <module.wasm> [file.su ...]'); process.exit(2); }
  try {
    const g = readCallGraph(wasm);
    const rows = analyse(g, suFiles.length ? readStackUsage(suFiles) : undefined);
    const top = rows[0];
    console.log(`${wasm}: ${g.callees.size} functions, no recursion, no call_indirect`);
    console.log(`deepest call chain: ${Math.max(...rows.map((r) => r.depth))} frames`);
    if (top.nativeBytes !== undefined) {
      console.log(`deepest native stack: ${top.nativeBytes} bytes, from export ${top.name}: ${top.nativePath!.map((i) => cName(g, i)).join(' > ')}`);
    }
  } catch (e) {
    console.error(`callgraph-depth: ${(e as Error).message}`);
    process.exit(1);
  }
}
