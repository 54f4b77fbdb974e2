// Generates host/abi.ts (TypeScript) and boards/common/stack_abi.h (C) from the AssemblyScript
// sources that define the ABI's numbers, so the three can never disagree (docs/ABI.md).
//
//   npx tsx scripts/gen-abi.ts           write both files
//   npx tsx scripts/gen-abi.ts --check   exit 1 if either file is missing or stale
//
// Sources read:
//   assembly/errors.ts          `export const EXXX: i32 = -N;`
//   assembly/api/constants.ts   states, EV_*, SO_*/TCP_*, SHUT_*, POOL_*, *_COUNT
//   assembly/config.ts          `export const` pool sizes, `enum Sysctl`, DEFAULTS/MINS/MAXS arrays
//   assembly/stats.ts           `enum Stat` (implicit numbering)
//   docs/ABI.md                 field lists of the tcp_info, netstat_row and pool_stats records
// The parser strips comments first and accepts any integer expression made of literals, names
// defined earlier, + - * / << >> | & ~ and parentheses.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_TS = 'host/abi.ts';
const OUT_H = 'boards/common/stack_abi.h';

type Const = { name: string; value: number };
type Scope = Map<string, number>;

// ---------------------------------------------------------------- lexing helpers

/** Removes // and /* *\/ comments, leaving string literals alone. */
export function stripComments(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i], n = src[i + 1];
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(src, i);
      out += src.slice(i, end);
      i = end - 1;
    } else if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      const body = src.slice(i, end < 0 ? src.length : end + 2);
      out += body.replace(/[^\n]/g, ' ');
      i = (end < 0 ? src.length : end + 2) - 1;
    } else {
      out += c;
    }
  }
  return out;
}

function skipString(src: string, start: number): number {
  const quote = src[start];
  let i = start + 1;
  while (i < src.length && src[i] !== quote) i += src[i] === '\\' ? 2 : 1;
  return i + 1;
}

// ---------------------------------------------------------------- integer expressions

/** Evaluates a small integer expression; names resolve through `scope`. Throws on anything else. */
export function evalInt(expr: string, scope: Scope): number {
  const tokens = expr.match(/0x[0-9a-fA-F]+|\d+|[A-Za-z_$][\w$.]*|<<|>>>|>>|[-+*/|&~()]/g) ?? [];
  const rest = expr.replace(/0x[0-9a-fA-F]+|\d+|[A-Za-z_$][\w$.]*|<<|>>>|>>|[-+*/|&~()]|\s+/g, '');
  if (rest !== '' || tokens.length === 0) throw new Error(`cannot evaluate "${expr.trim()}"`);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = () => tokens[pos++];
  // Precedence climbing, lowest first: |, &, << >>, + -, * /.
  const levels: string[][] = [['|'], ['&'], ['<<', '>>', '>>>'], ['+', '-'], ['*', '/']];
  const binary = (level: number): number => {
    if (level === levels.length) return unary();
    let v = binary(level + 1);
    while (levels[level].includes(peek() ?? '')) v = apply(take(), v, binary(level + 1));
    return v;
  };
  const unary = (): number => {
    const t = take();
    if (t === '-') return -unary();
    if (t === '+') return unary();
    if (t === '~') return ~unary();
    if (t === '(') {
      const v = binary(0);
      if (take() !== ')') throw new Error(`unbalanced parentheses in "${expr}"`);
      return v;
    }
    if (t !== undefined && /^(0x[0-9a-fA-F]+|\d+)$/.test(t)) return Number(t);
    if (t !== undefined && scope.has(t)) return scope.get(t)!;
    throw new Error(`unknown name "${t}" in "${expr.trim()}"`);
  };
  const v = binary(0);
  if (pos !== tokens.length) throw new Error(`trailing tokens in "${expr.trim()}"`);
  return v;
}

function apply(op: string, a: number, b: number): number {
  switch (op) {
    case '|': return a | b;
    case '&': return a & b;
    case '<<': return a << b;
    case '>>': return a >> b;
    case '>>>': return a >>> b;
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default: return Math.trunc(a / b);
  }
}

// ---------------------------------------------------------------- declarations

/** Every `export const NAME[: type] = expr;` whose value is an integer expression, in order. */
export function parseConsts(src: string, scope: Scope = new Map()): Const[] {
  const out: Const[] = [];
  for (const m of stripComments(src).matchAll(/export\s+const\s+([A-Za-z_]\w*)\s*(?::\s*\w+)?\s*=\s*([^;]+);/g)) {
    let value: number;
    // `SERVER ? a : b`, `HOST ? a : SERVER ? b : c` (assembly/config.ts): the generated files carry
    // the default build's value, the last alternative.
    let expr = m[2];
    for (let alt; (alt = expr.match(/^\s*(?:SERVER|HOST)\s*\?[^:]*:(.*)$/s)); ) expr = alt[1];
    try { value = evalInt(expr, scope); } catch { continue; } // not an integer constant (e.g. a call)
    scope.set(m[1], value);
    out.push({ name: m[1], value });
  }
  return out;
}

/** Members of `[export] [const] enum Name { a = 1, b, ... }`, with implicit numbering. */
export function parseEnum(src: string, enumName: string, scope: Scope = new Map()): Const[] {
  const m = stripComments(src).match(new RegExp(`enum\\s+${enumName}\\s*\\{([^}]*)\\}`));
  if (!m) throw new Error(`enum ${enumName} not found`);
  const members: Const[] = [];
  let next = 0;
  const local = new Map(scope);
  for (const raw of m[1].split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const [name, expr] = item.split('=').map((s) => s.trim());
    if (!/^[A-Za-z_]\w*$/.test(name)) throw new Error(`bad member "${item}" in enum ${enumName}`);
    const value = expr === undefined ? next : evalInt(expr, local);
    local.set(name, value);
    local.set(`${enumName}.${name}`, value);
    members.push({ name, value });
    next = value + 1;
  }
  return members;
}

/** Elements of `const NAME: StaticArray<i32> = [ ... ];` (or a plain array), evaluated. */
export function parseIntArray(src: string, arrayName: string, scope: Scope): number[] {
  const m = stripComments(src).match(new RegExp(`const\\s+${arrayName}\\b[^=]*=\\s*\\[([^\\]]*)\\]`));
  if (!m) throw new Error(`array ${arrayName} not found`);
  return m[1].split(',').map((s) => s.trim()).filter(Boolean).map((e) => evalInt(e, scope));
}

/** A comma-separated field list, as snake_case identifiers. */
function fieldList(text: string): string[] {
  return text.replace(/\([^)]*\)/g, '').split(',').map(fieldName).filter(Boolean);
}

/** 'local ip' -> 'local_ip'; 'snd_wscale | rcv_wscale << 8' -> 'snd_wscale_rcv_wscale'. */
function fieldName(field: string): string {
  return field.split('|').map((part) => part.replace(/<<\s*\d+/, '').trim().replace(/\s+/g, '_')).filter(Boolean).join('_');
}

/** Record layouts documented in docs/ABI.md. */
export function parseRecords(doc: string): Record<string, string[]> {
  const info = doc.match(/`tcp_info` record \((\d+) × u32\):\s*`([^`]+)`/);
  const row = doc.match(/writes row `i` \((\d+) × u32: ([^)]+)\)/);
  const pool = doc.match(/`pool_stats\([^`]*`[^|]*\|[^|]*writes `([^`]+)`/);
  const peer = doc.match(/`tcp_peer\([^`]*`[^|]*\|[^|]*writes `([^`]+)`/);
  if (!info || !row || !pool || !peer) throw new Error('docs/ABI.md: a record layout (tcp_info, netstat_row, pool_stats, tcp_peer) was not found');
  const records = {
    TCP_INFO: fieldList(info[2]),
    NETSTAT_ROW: fieldList(row[2]),
    POOL_STATS: fieldList(pool[1]),
    PEER: fieldList(peer[1].replace(/\s+as\s+.*$/, '')),
  };
  if (records.TCP_INFO.length !== Number(info[1])) throw new Error(`tcp_info: ${records.TCP_INFO.length} fields, doc says ${info[1]}`);
  if (records.NETSTAT_ROW.length !== Number(row[1])) throw new Error(`netstat_row: ${records.NETSTAT_ROW.length} fields, doc says ${row[1]}`);
  return records;
}

// ---------------------------------------------------------------- the model

export type Abi = {
  errors: Const[];
  states: Const[];
  events: Const[];
  sockopts: Const[];
  shutdown: Const[];
  pools: Const[];
  counts: Const[];
  other: Const[];
  config: Const[];
  sysctls: { name: string; id: number; def: number; min: number; max: number }[];
  stats: Const[];
  records: Record<string, string[]>;
};

function read(rel: string): string {
  return readFileSync(join(ROOT, rel), 'utf8');
}

/**
 * Sorts the constants of api/constants.ts into groups: the TCP states are the run from CLOSED up to
 * STATE_COUNT in source order; the rest go by prefix (EV_, SO_/TCP_, SHUT_, POOL_, *_COUNT), and
 * anything else lands in `other`, still mirrored.
 */
function groupConstants(all: Const[]): Pick<Abi, 'states' | 'events' | 'sockopts' | 'shutdown' | 'pools' | 'counts' | 'other'> {
  const g = { states: [] as Const[], events: [] as Const[], sockopts: [] as Const[], shutdown: [] as Const[], pools: [] as Const[], counts: [] as Const[], other: [] as Const[] };
  const first = all.findIndex((c) => c.name === 'CLOSED');
  const end = all.findIndex((c) => c.name === 'STATE_COUNT');
  if (first < 0 || end < first) throw new Error('api/constants.ts: the states must run from CLOSED to STATE_COUNT');
  all.forEach((c, i) => {
    if (i >= first && i < end) g.states.push(c);
    else if (c.name.endsWith('_COUNT')) g.counts.push(c);
    else if (c.name.startsWith('EV_')) g.events.push(c);
    else if (c.name.startsWith('SO_') || c.name.startsWith('TCP_')) g.sockopts.push(c);
    else if (c.name.startsWith('SHUT_')) g.shutdown.push(c);
    else if (c.name.startsWith('POOL_')) g.pools.push(c);
    else g.other.push(c);
  });
  return g;
}

export function loadAbi(): Abi {
  const errors = parseConsts(read('assembly/errors.ts'));
  const grouped = groupConstants(parseConsts(read('assembly/api/constants.ts')));
  const configSrc = read('assembly/config.ts');
  const scope: Scope = new Map();
  const config = parseConsts(configSrc, scope);
  const members = parseEnum(configSrc, 'Sysctl', scope);
  for (const m of members) scope.set(`Sysctl.${m.name}`, m.value);
  const defs = parseIntArray(configSrc, 'DEFAULTS', scope);
  const mins = parseIntArray(configSrc, 'MINS', scope);
  const maxs = parseIntArray(configSrc, 'MAXS', scope);
  const sysctls = members.filter((m) => m.name !== 'COUNT').map((m) => ({ name: m.name, id: m.value, def: defs[m.value], min: mins[m.value], max: maxs[m.value] }));
  for (const [label, arr] of [['DEFAULTS', defs], ['MINS', mins], ['MAXS', maxs]] as const) {
    if (arr.length !== sysctls.length) throw new Error(`config.ts: ${label} has ${arr.length} entries for ${sysctls.length} sysctls`);
  }
  const stats = parseEnum(read('assembly/stats.ts'), 'Stat').filter((m) => m.name !== 'COUNT');
  checkDense('Stat', stats);
  checkDense('Sysctl', sysctls.map((s) => ({ name: s.name, value: s.id })));
  checkDense('state', grouped.states);
  return { errors, ...grouped, config, sysctls, stats, records: parseRecords(read('docs/ABI.md')) };
}

/** Name tables are indexed by value, so these groups must be numbered 0..n-1. */
function checkDense(what: string, list: Const[]): void {
  list.forEach((c, i) => { if (c.value !== i) throw new Error(`${what} ${c.name} = ${c.value}, expected ${i} (values must be dense from 0)`); });
}

// ---------------------------------------------------------------- TypeScript output

const HEADER_NOTE = 'GENERATED by scripts/gen-abi.ts from assembly/errors.ts, assembly/api/constants.ts,\n' +
  'assembly/config.ts, assembly/stats.ts and docs/ABI.md. Do not edit: run `npx tsx scripts/gen-abi.ts`.';

function tsConsts(list: Const[]): string {
  return list.map((c) => `export const ${c.name} = ${c.value};`).join('\n');
}

function tsObject(name: string, list: Const[]): string {
  return `export const ${name} = {\n${list.map((c) => `  ${c.name}: ${c.value},`).join('\n')}\n} as const;`;
}

function tsNames(name: string, list: Const[]): string {
  return `export const ${name}: readonly string[] = [\n${list.map((c) => `  '${c.name}',`).join('\n')}\n];`;
}

export function renderTs(abi: Abi): string {
  const records = Object.entries(abi.records).map(([k, fields]) =>
    `export const ${k}_FIELDS = [${fields.map((f) => `'${f}'`).join(', ')}] as const;`).join('\n');
  const sysctl = abi.sysctls.map((s) => `  ${s.name}: { id: ${s.id}, default: ${s.def}, min: ${s.min}, max: ${s.max} },`).join('\n');
  return `// ${HEADER_NOTE.replace(/\n/g, '\n// ')}

// ---- error codes (negative errno) ----
${tsConsts(abi.errors)}
${tsObject('ERRORS', abi.errors)}
export type ErrName = keyof typeof ERRORS;
const ERR_BY_CODE = new Map<number, string>(Object.entries(ERRORS).map(([k, v]) => [v, k]));
/** 'EAGAIN' for -11; 'E?<n>' for a code the ABI does not define; 'OK' for 0; '' for positive results. */
export function errName(code: number): string {
  if (code > 0) return '';
  return ERR_BY_CODE.get(code) ?? \`E?\${code}\`;
}

// ---- TCP states ----
${tsConsts(abi.states)}
${tsNames('STATE_NAMES', abi.states)}
export function stateName(state: number): string {
  return STATE_NAMES[state] ?? \`STATE?\${state}\`;
}

// ---- event bits (ev_poll) ----
${tsConsts(abi.events)}
${tsObject('EVENTS', abi.events)}
export type EventName = keyof typeof EVENTS;
/** The names of the bits set in an event mask, lowest bit first. */
export function eventNames(mask: number): EventName[] {
  return (Object.keys(EVENTS) as EventName[]).filter((k) => (mask & EVENTS[k]) !== 0);
}

// ---- socket options ----
${tsConsts(abi.sockopts)}
${tsObject('SOCKOPTS', abi.sockopts)}
export type SockoptName = keyof typeof SOCKOPTS;

// ---- shutdown(how) ----
${tsConsts(abi.shutdown)}

// ---- pool ids (pool_stats) ----
${tsConsts(abi.pools)}
${tsNames('POOL_NAMES', abi.pools)}

// ---- counts ----
${tsConsts(abi.counts)}
${abi.other.length ? `\n// ---- other constants ----\n${tsConsts(abi.other)}\n` : ''}
// ---- DHCP client states (dhcp_info) ----
${tsNames('DHCP_STATE_NAMES', abi.other.filter((c) => c.name.startsWith('DHCP_')).map((c) => ({ ...c, name: c.name.slice(5) })))}
// ---- compile-time sizes (assembly/config.ts) ----
${tsObject('CONFIG', abi.config)}

// ---- sysctls: id, default, accepted range ----
export const SYSCTL = {
${sysctl}
} as const;
export type SysctlName = keyof typeof SYSCTL;
export const SYSCTL_COUNT = ${abi.sysctls.length};
export const SYSCTL_NAMES = Object.keys(SYSCTL) as SysctlName[];

// ---- stat counters (stats_get), indexed by id ----
${tsObject('STAT', abi.stats)}
export type StatName = keyof typeof STAT;
export const STAT_COUNT = ${abi.stats.length};
export const STAT_NAMES = Object.keys(STAT) as StatName[];

// ---- record layouts (u32 fields, in order) ----
${records}
`;
}

// ---------------------------------------------------------------- C output

function cDefines(prefix: string, list: Const[]): string {
  return list.map((c) => `#define ${prefix}${c.name} (${c.value})`).join('\n');
}

/** An X-macro list: `#define NAME(X) X(a, 0) X(b, 1) ...`, for building name tables without storage. */
function cXList(name: string, list: string[]): string {
  return `#define ${name}(X) \\\n${list.map((l) => `  X(${l})`).join(' \\\n')}`;
}

export function renderH(abi: Abi): string {
  const recordDefs = Object.entries(abi.records).map(([k, fields]) =>
    `${fields.map((f, i) => `#define STACK_${k}_${f.toUpperCase()} ${i}`).join('\n')}\n#define STACK_${k}_WORDS ${fields.length}`).join('\n\n');
  return `/* ${HEADER_NOTE.replace(/\n/g, '\n * ')}
 *
 * Every name carries the STACK_ prefix so that it cannot collide with <errno.h>, <sys/socket.h>,
 * <netinet/tcp.h> or lwIP (ESP-IDF): STACK_EAGAIN, STACK_ESTABLISHED, STACK_EV_READABLE,
 * STACK_SO_REUSEADDR, STACK_SHUT_WR, STACK_POOL_BLOCKS, STACK_MAX_SOCKETS, STACK_SYSCTL_<name>,
 * STACK_STAT_<name>, STACK_TCP_INFO_<field> (word index). The *_LIST(X) macros expand X once per
 * entry, e.g. to build a name table:
 *   #define NAME(n, v) [v] = #n,
 *   static const char *const state_names[] = { STACK_STATE_LIST(NAME) };
 */
#ifndef STACK_ABI_H
#define STACK_ABI_H

/* ---- error codes: negative errno (docs/ABI.md "Errors") ---- */
${cDefines('STACK_', abi.errors)}
${cXList('STACK_ERROR_LIST', abi.errors.map((c) => `${c.name}, ${c.value}`))}

/* ---- TCP states (RFC 9293 section 3.3.2 names) ---- */
${cDefines('STACK_', abi.states)}
${cXList('STACK_STATE_LIST', abi.states.map((c) => `${c.name}, ${c.value}`))}

/* ---- event bits returned by ev_poll() in bits 16..23 ---- */
${cDefines('STACK_', abi.events)}
${cXList('STACK_EVENT_LIST', abi.events.map((c) => `${c.name}, ${c.value}`))}

/* ---- socket options (tcp_setsockopt / tcp_getsockopt) ---- */
${cDefines('STACK_', abi.sockopts)}

/* ---- shutdown(how) ---- */
${cDefines('STACK_', abi.shutdown)}

/* ---- pool ids (pool_stats) ---- */
${cDefines('STACK_', abi.pools)}
${cXList('STACK_POOL_LIST', abi.pools.map((c) => `${c.name}, ${c.value}`))}

/* ---- counts ---- */
${cDefines('STACK_', abi.counts)}
${abi.other.length ? `\n/* ---- other constants ---- */\n${cDefines('STACK_', abi.other)}\n` : ''}
/* ---- compile-time sizes (assembly/config.ts) ---- */
${cDefines('STACK_', abi.config)}

/* ---- sysctl ids (sysctl_get / sysctl_set); list entries: name, id, default, min, max ---- */
${abi.sysctls.map((s) => `#define STACK_SYSCTL_${s.name} ${s.id}`).join('\n')}
#define STACK_SYSCTL_COUNT ${abi.sysctls.length}
${cXList('STACK_SYSCTL_LIST', abi.sysctls.map((s) => `${s.name}, ${s.id}, ${s.def}, ${s.min}, ${s.max}`))}

/* ---- stat counter ids (stats_get) ---- */
${abi.stats.map((s) => `#define STACK_STAT_${s.name} ${s.value}`).join('\n')}
#define STACK_STAT_COUNT ${abi.stats.length}
${cXList('STACK_STAT_LIST', abi.stats.map((c) => `${c.name}, ${c.value}`))}

/* ---- record layouts: word index of each u32 field (docs/ABI.md) ---- */
${recordDefs}

#endif /* STACK_ABI_H */
`;
}

// ---------------------------------------------------------------- main

function main(argv: string[]): number {
  const abi = loadAbi();
  const outputs: [string, string][] = [[OUT_TS, renderTs(abi)], [OUT_H, renderH(abi)]];
  if (argv.includes('--check')) {
    const stale = outputs.filter(([rel, text]) => {
      try { return readFileSync(join(ROOT, rel), 'utf8') !== text; } catch { return true; }
    }).map(([rel]) => rel);
    if (stale.length) {
      console.error(`gen-abi: stale or missing: ${stale.join(', ')}; run \`npx tsx scripts/gen-abi.ts\``);
      return 1;
    }
    console.log('gen-abi: host/abi.ts and boards/common/stack_abi.h are up to date');
    return 0;
  }
  for (const [rel, text] of outputs) {
    mkdirSync(dirname(join(ROOT, rel)), { recursive: true });
    writeFileSync(join(ROOT, rel), text);
    console.log(`gen-abi: wrote ${rel}`);
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
