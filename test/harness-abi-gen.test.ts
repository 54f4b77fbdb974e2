// scripts/gen-abi.ts: the generated host/abi.ts and boards/common/stack_abi.h are up to date, the
// parser copes with comments and implicit enum numbering, and the three views of the ABI agree:
// the AssemblyScript sources (via the running wasm), the TypeScript tables and the C header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalInt, parseConsts, parseEnum, parseIntArray, stripComments } from '../scripts/gen-abi.ts';
import * as abi from '../host/abi.ts';
import { Stack } from '../host/stack.ts';

const ROOT = new URL('..', import.meta.url).pathname;

function need(tool: string, pkg: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`]);
  if (r.status !== 0) assert.fail(`${tool} is missing: apt-get install -y ${pkg}`);
}

test('gen-abi --check: the generated files match the sources', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-abi.ts', '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('the parser ignores comments, evaluates expressions and numbers enums implicitly', () => {
  const src = `
    // export const FAKE: i32 = 1;
    /* export const ALSO_FAKE: i32 = 2; */
    export const A: i32 = -3; // trailing comment with = and ;
    export const B: u8 = (A + 5) << 2 | 0x10;
    export const S: string = "x; y";
    export const enum E {
      a = 4,   // four
      b,       /* five */
      c = B,
      d,
      COUNT,
    }
    const ARR: StaticArray<i32> = [1, A, /* skip */ E.d, B * 2];`;
  const scope = new Map<string, number>();
  assert.deepEqual(parseConsts(src, scope), [{ name: 'A', value: -3 }, { name: 'B', value: 24 }]);
  const e = parseEnum(src, 'E', scope);
  assert.deepEqual(e.map((m) => `${m.name}=${m.value}`), ['a=4', 'b=5', 'c=24', 'd=25', 'COUNT=26']);
  for (const m of e) scope.set(`E.${m.name}`, m.value);
  assert.deepEqual(parseIntArray(src, 'ARR', scope), [1, -3, 25, 48]);
  assert.equal(stripComments('a /* x\ny */ b // z\nc'), 'a     \n     b \nc');
  assert.throws(() => evalInt('UNKNOWN + 1', new Map()), /unknown name/);
});

test('host/abi.ts agrees with the running stack (sysctl defaults and ranges, stat, state and pool counts)', () => {
  const s = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  for (const name of abi.SYSCTL_NAMES) {
    const d = abi.SYSCTL[name];
    assert.equal(s.sysctl(name), d.default, `default of ${name}`);
    assert.equal(s.setSysctl(name, d.max), 0, `${name} accepts its max`);
    assert.equal(s.setSysctl(name, d.min), 0, `${name} accepts its min`);
    if (d.max < 2 ** 31 - 1) assert.equal(s.setSysctl(name, d.max + 1), abi.EINVAL, `${name} refuses max+1`);
    if (d.min > -(2 ** 31)) assert.equal(s.setSysctl(name, d.min - 1), abi.EINVAL, `${name} refuses min-1`);
  }
  assert.equal(s.x.sysctl_get(abi.SYSCTL_COUNT), abi.ENOPROTOOPT);
  assert.ok(s.x.stats_get(abi.STAT_COUNT - 1) >= 0);
  assert.equal(s.x.stats_get(abi.STAT_COUNT), abi.ENOPROTOOPT);
  assert.ok(s.x.netstat_count(abi.STATE_COUNT - 1) >= 0);
  assert.equal(s.x.netstat_count(abi.STATE_COUNT), abi.EINVAL);
  assert.equal(s.x.pool_stats(abi.POOL_COUNT, s.x.io_buffer()), abi.EINVAL);
  assert.equal(s.x.io_buffer_size(), abi.CONFIG.IO_BUFFER_SIZE);
  assert.equal(abi.STATE_NAMES.length, abi.STATE_COUNT);
  assert.equal(abi.POOL_NAMES.length, abi.POOL_COUNT);
  assert.equal(abi.errName(-11), 'EAGAIN');
  assert.equal(abi.errName(-12345), 'E?-12345');
  assert.deepEqual(abi.eventNames(abi.EV_READABLE | abi.EV_CLOSED), ['EV_READABLE', 'EV_CLOSED']);
});

test('boards/common/stack_abi.h compiles cleanly next to errno.h and socket headers, and has the same values', () => {
  need('gcc', 'gcc');
  const dir = mkdtempSync(join(tmpdir(), 'abi-h-'));
  try {
    const c = `#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include "${ROOT}boards/common/stack_abi.h"
#define PAIR(n, v) printf("%s %d\\n", #n, v);
#define SYS(n, id, d, lo, hi) printf("sysctl.%s %d %d %d %d\\n", #n, id, d, lo, hi);
int main(void) {
  STACK_ERROR_LIST(PAIR) STACK_STATE_LIST(PAIR) STACK_EVENT_LIST(PAIR) STACK_POOL_LIST(PAIR)
  STACK_SYSCTL_LIST(SYS) STACK_STAT_LIST(PAIR)
  printf("TCP_INFO_WORDS %d\\nEAGAIN %d\\nSO_LINGER %d\\nTCP_KEEPCNT %d\\nSHUT_WR %d\\n",
         STACK_TCP_INFO_WORDS, STACK_EAGAIN, STACK_SO_LINGER, STACK_TCP_KEEPCNT, STACK_SHUT_WR);
  return 0;
}
`;
    writeFileSync(join(dir, 'abi.c'), c);
    const cc = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-o', join(dir, 'abi'), join(dir, 'abi.c')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(cc.status, 0, cc.stderr);
    const out = spawnSync(join(dir, 'abi'), { encoding: 'utf8', timeout: 10_000 }).stdout.trim().split('\n');
    const expected = [
      ...Object.entries(abi.ERRORS).map(([n, v]) => `${n} ${v}`),
      ...abi.STATE_NAMES.map((n, i) => `${n} ${i}`),
      ...Object.entries(abi.EVENTS).map(([n, v]) => `${n} ${v}`),
      ...abi.POOL_NAMES.map((n, i) => `${n} ${i}`),
      ...abi.SYSCTL_NAMES.map((n) => { const s = abi.SYSCTL[n]; return `sysctl.${n} ${s.id} ${s.default} ${s.min} ${s.max}`; }),
      ...abi.STAT_NAMES.map((n) => `${n} ${abi.STAT[n]}`),
      `TCP_INFO_WORDS ${abi.TCP_INFO_FIELDS.length}`, `EAGAIN ${abi.EAGAIN}`, `SO_LINGER ${abi.SO_LINGER}`,
      `TCP_KEEPCNT ${abi.TCP_KEEPCNT}`, `SHUT_WR ${abi.SHUT_WR}`,
    ];
    assert.deepEqual(out, expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
