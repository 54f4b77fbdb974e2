// `npm run bench:tap` (as root): the posix board and lwIP 2.1.3 on the same Linux TAP device, against
// the Linux kernel's TCP in a network namespace this script creates, in one run (bench/README.md, "TAP").
//   - stacks: boards/posix/build-server/asnet-posix (`make SERVER=1`: build/stack.server.wasm, 96 KiB
//     socket-buffer pool) with SO_RCVBUF/SO_SNDBUF 65535, no timestamps, no window scaling (--sysctl), and
//     bench/lwip/build/lwip-tap (bench/lwip/tap.c: lwIP from Debian's source package with the pair
//     harness's fair/lwipopts.h: 64 KiB window and send buffer, MSS 1460, no timestamps)
//   - workloads: bench/tap/build/client in the namespace: discard (port 9, MIB MiB to the stack),
//     chargen (port 19, MIB MiB from it, pattern checked), echo (port 7, MIB MiB each way, byte-exact)
//   - per run: Mbit/s (the client's wall clock), CPU time per MiB of the stack process plus the
//     ksoftirqd of its CPU (/proc/PID/schedstat: exact on-CPU ns, user + kernel; the kernel's work
//     for the frames the stack writes runs in its write() or, under load, in ksoftirqd), and the
//     frames and bytes the TAP carried each way (`ip -s link`), checked against the bytes delivered: every
//     delivered byte must have crossed the TAP in frames of at most 1460 payload bytes with 54 bytes
//     of headers each. The run starts by seeing that check fail on a planted shortcut (the client
//     talking to the kernel's own address, so nothing crosses the TAP) and stops if it does not.
//   - repetitions alternate the stacks (asnet, lwIP, asnet, lwIP, ...), each program started afresh
//   - median and range; ratios asnet/lwIP. Written to bench/results/tap.{json,md}.
// Wall-clock Mbit/s on a shared 2-core machine is noisy; the CPU figures less so.
//   npx tsx bench/tap.ts [--mib 64] [--reps 5] [--only discard,chargen,echo] [--board-args "..."] [--pin split|none] [--out DIR]
//     [--build server|host] [--sandbox check|base|none|...] [--callgrind SMALL,BIG|off] [--before]
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');
const NS = `asnet-tap-${process.pid}`;
const IP = '192.0.2.2';
const MSS = 1460;
const HDR = 14 + 20 + 20;                 // Ethernet + IPv4 + TCP without options
const CLIENT = join(ROOT, 'bench', 'tap', 'build', 'client');

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def; };
const MIB = Number(opt('--mib', '64'));
const REPS = Number(opt('--reps', '5'));
const SERVICES = opt('--only', 'discard,chargen,echo').split(',');
const BOARD_EXTRA = opt('--board-args', '').split(' ').filter(Boolean);
// --pin split (default): the stack on CPU 1, the client on CPU 0, as two machines would be; the
// kernel's share of the work then lands in the same place for both stacks (unpinned, the CPU
// figures of one stack moved 2x between runs as the scheduler placed the two processes). none: unpinned.
const PIN = opt('--pin', 'split');
// --callgrind SMALL,BIG (MiB; default 1,9; "off" skips): user-space instructions per MiB of each
// stack process under callgrind, from two runs: the figure that does not depend on the load.
const CG = opt('--callgrind', '1,9');
const CG_MIB = CG === 'off' ? [] : CG.split(',').map(Number);
const NO_REP_MOVSB = 'glibc.cpu.x86_rep_movsb_threshold=4294967295';   // as bench/run.ts: memcpy counted as its vector loop
// --sandbox VARIANT: the posix board's wasm2c sandbox (boards/common/sandbox.mk; the server build's
// default is check: 3 pages are no power of two, so no mask)
const SANDBOX = opt('--sandbox', '');
// --build server|host: which posix board build runs. server (default): build/stack.server.wasm,
// 3 pages (96 KiB socket-buffer pool) under exact bounds checks; host: build/stack.host.wasm, 8 pages
// (254 KiB pool) under the boards' masked sandbox (8 pages are a power of two).
const BUILD = opt('--build', 'server');
if (BUILD !== 'host' && BUILD !== 'server') throw new Error('bench:tap: --build host|server');
const OUT = opt('--out', join(ROOT, 'bench', 'results'));   // where tap.json and tap.md go
const pinned = (cpu: number, cmd: string[]) => PIN === 'none' || os.cpus().length < 2 ? cmd : ['taskset', '-c', String(cpu), ...cmd];
if (!(MIB >= 1 && MIB <= 1024 && REPS >= 1 && REPS <= 50)) throw new Error('bench:tap: --mib 1..1024, --reps 1..50');

interface StackDef { name: string; bin: string; args: string[]; up: RegExp }
const STACKS: StackDef[] = [
  { name: 'asnet', bin: join(ROOT, 'boards', 'posix', `build-${BUILD}`, 'asnet-posix'), up: /posix: up/,
    args: ['--tap', 'tap0', '--static', '--ip', IP, '--mask', '255.255.255.0', '--mac', '02:00:00:00:00:02',
      '--service', 'discard', '--service', 'chargen', '--service', 'echo',
      '--sysctl', 'tcp_rmem_default=65535', '--sysctl', 'tcp_wmem_default=65535', '--sysctl', 'tcp_timestamps=0',
      '--sysctl', 'tcp_window_scaling=0', ...BOARD_EXTRA] },
  { name: 'lwip', bin: join(ROOT, 'bench', 'lwip', 'build', 'lwip-tap'), up: /lwip-tap: up/,
    args: ['--tap', 'tap0', '--ip', IP, '--mask', '255.255.255.0', '--mac', '02:00:00:00:00:02'] },
];

// --before: a third row, the posix board as it was before --rx-burst (64 frames per step, the
// glue's own limit: --rx-burst 0), so one run shows what the main-loop change did
if (argv.includes('--before')) STACKS.splice(1, 0, { ...STACKS[0], name: 'asnet-rx64', args: [...STACKS[0].args, '--rx-burst', '0'] });

const sh = (cmd: string, args: string[], timeout = 30_000) =>
  execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (cmd: string[], timeout?: number) => sh('ip', ['netns', 'exec', NS, ...cmd], timeout);
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function build(): void {
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'] as ('ignore' | 'inherit')[], timeout: 600_000 };
  execFileSync('make', ['-s', '-C', join(ROOT, 'bench', 'tap')], quiet);
  execFileSync('make', ['-s', '-C', join(ROOT, 'bench', 'lwip'), '-f', 'Makefile', '-f', 'tap.mk', 'build/lwip-tap'], quiet);
  execFileSync('make', ['-s', '-C', join(ROOT, 'boards', 'posix'), BUILD === 'host' ? 'HOST=1' : 'SERVER=1', ...(SANDBOX ? [`SANDBOX=${SANDBOX}`] : [])], quiet);
}

function setUp(): void {
  sh('ip', ['netns', 'add', NS]);
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  inNs(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  inNs(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'tap0']);
  inNs(['ip', 'link', 'set', 'tap0', 'up']);
}

export interface Link { txBytes: number; txPackets: number; rxBytes: number; rxPackets: number }
/** tap0 as the kernel counts it: tx = kernel -> stack, rx = stack -> kernel. */
function link(): Link {
  const s = JSON.parse(inNs(['ip', '-s', '-j', 'link', 'show', 'tap0']))[0].stats64;
  return { txBytes: s.tx.bytes, txPackets: s.tx.packets, rxBytes: s.rx.bytes, rxPackets: s.rx.packets };
}

/** On-CPU nanoseconds of a task (/proc/PID/schedstat, first field: user + kernel, exact). */
const onCpu = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
/** ksoftirqd of the stack's CPU: the kernel work of the frames the stack writes runs inline in its
 * write() (this kernel has no IRQ_TIME_ACCOUNTING, so it is billed to the stack) or, under load,
 * deferred to this thread; counting both removes that coin toss from the figure. */
function ksoftirqd(): number | null {
  if (PIN === 'none') return null;
  const r = spawnSync('pgrep', ['-x', 'ksoftirqd/1'], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim().split('\n')[0]) : null;
}
interface Cpu { stack: number; soft: number }
const cpu = (pid: number, soft: number | null): Cpu => ({ stack: onCpu(pid), soft: soft === null ? 0 : onCpu(soft) });

/** The frames on the TAP must carry what was delivered: per direction that had to carry `bytes`,
 * at least ceil(bytes / MSS) frames and bytes + HDR per such frame. Returns the failures. */
export function wireCheck(mode: string, bytes: number, d: Link): string[] {
  const frames = Math.ceil(bytes / MSS), need = bytes + frames * HDR, bad: string[] = [];
  const dir = (what: string, b: number, p: number) => {
    if (p < frames || b < need)
      bad.push(`${bytes} bytes delivered ${what} but the TAP carried ${b} bytes in ${p} frames (at least ${need} in ${frames} expected)`);
  };
  if (mode === 'discard' || mode === 'echo') dir('to the stack', d.txBytes, d.txPackets);
  if (mode === 'chargen' || mode === 'echo') dir('from the stack', d.rxBytes, d.rxPackets);
  return bad;
}

const diff = (a: Link, b: Link): Link => ({ txBytes: b.txBytes - a.txBytes, txPackets: b.txPackets - a.txPackets,
  rxBytes: b.rxBytes - a.rxBytes, rxPackets: b.rxPackets - a.rxPackets });

function client(mode: string, host: string, mib = MIB): { ok: boolean; bytes: number; seconds: number; mbit_s: number; error?: string } {
  const [cmd, ...args] = pinned(0, ['ip', 'netns', 'exec', NS, CLIENT, mode, host, String(mib)]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 70_000 });
  const line = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  try { return JSON.parse(line); } catch { return { ok: false, bytes: 0, seconds: 0, mbit_s: 0, error: `client: ${r.stderr || r.error}` }; }
}

/** The check must fail on a shortcut: the discard client talking to the kernel's own address
 * (served by `client sink`), so its bytes are delivered without crossing the TAP. */
function plantedShortcut(): string {
  const sink = spawn('ip', ['netns', 'exec', NS, CLIENT, 'sink', '192.0.2.1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    sleep(300);
    const before = link();
    const r = client('discard', '192.0.2.1');
    if (!r.ok) throw new Error(`bench:tap: the planted run itself failed: ${JSON.stringify(r)}`);
    const bad = wireCheck('discard', r.bytes, diff(before, link()));
    if (bad.length === 0) throw new Error('bench:tap: the wire check passed a run that never crossed the TAP: the check is broken');
    return bad[0];
  } finally { sink.kill('SIGKILL'); }
}

interface Sample { mbit: number; cpuMsPerMiB: number; stackMsPerMiB: number; frames: [number, number]; tapBytesPerPayload: number }

function runStack(def: StackDef, rep: number, out: Map<string, Sample[]>): void {
  const logPath = join(os.tmpdir(), `bench-tap-${process.pid}-${def.name}.log`);
  const fd = openSync(logPath, 'w');
  const [cmd, ...args] = pinned(1, ['ip', 'netns', 'exec', NS, def.bin, ...def.args]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const log = () => readFileSync(logPath, 'utf8');
  try {
    for (let i = 0; i < 250 && !def.up.test(log()); i++) sleep(20);
    if (!def.up.test(log())) throw new Error(`${def.name} did not start:\n${log()}`);
    const pid = child.pid!;       // taskset and `ip netns exec` exec the program in place: same pid
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(def.bin)) throw new Error(`pid ${pid} is not ${def.bin}`);
    const soft = ksoftirqd();
    for (const mode of SERVICES) {
      const l0 = link(), c0 = cpu(pid, soft);
      const r = client(mode, IP);
      const c1 = cpu(pid, soft), d = diff(l0, link());
      if (!r.ok) throw new Error(`${def.name} ${mode}: ${JSON.stringify(r)}\n${log()}`);
      const bad = wireCheck(mode, MIB << 20, d);
      if (bad.length) throw new Error(`${def.name} ${mode}: wire check FAILED: ${bad.join('; ')}`);
      const mib = mode === 'echo' ? 2 * MIB : MIB;      // echo: MIB in and MIB out
      const tapBytes = d.txBytes + d.rxBytes;
      const s: Sample = {
        mbit: r.mbit_s, cpuMsPerMiB: (c1.stack - c0.stack + c1.soft - c0.soft) / 1e6 / mib, stackMsPerMiB: (c1.stack - c0.stack) / 1e6 / mib,
        frames: [d.txPackets, d.rxPackets], tapBytesPerPayload: tapBytes / (mib * 1048576),
      };
      out.set(`${def.name} ${mode}`, [...(out.get(`${def.name} ${mode}`) ?? []), s]);
      console.log(`rep ${rep} ${def.name.padEnd(5)} ${mode.padEnd(7)} ${s.mbit.toFixed(0).padStart(5)} Mbit/s  cpu ${s.cpuMsPerMiB.toFixed(2)} ms/MiB (stack process ${s.stackMsPerMiB.toFixed(2)})  frames to/from ${d.txPackets}/${d.rxPackets}`);
    }
  } finally {
    child.kill('SIGTERM');
    for (let i = 0; i < 100 && child.exitCode === null && spawnSync('kill', ['-0', String(child.pid)]).status === 0; i++) sleep(20);
    if (spawnSync('kill', ['-0', String(child.pid)]).status === 0) child.kill('SIGKILL');
    rmSync(logPath, { force: true });
  }
}

/** User-space instructions of the stack process (callgrind: its own code, libc, the wasm2c
 * runtime; not the kernel) for one program run serving `mib` MiB of one service. */
function instructionsOf(def: StackDef, mode: string, mib: number): number {
  const out = join(os.tmpdir(), `bench-tap-cg-${process.pid}-${def.name}-${mode}-${mib}`);
  const logPath = `${out}.log`, fd = openSync(logPath, 'w');
  const [cmd, ...args] = pinned(1, ['ip', 'netns', 'exec', NS, 'valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`, def.bin, ...def.args]);
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, GLIBC_TUNABLES: NO_REP_MOVSB } });
  closeSync(fd);
  try {
    for (let i = 0; i < 1500 && !def.up.test(readFileSync(logPath, 'utf8')); i++) sleep(20);
    const r = client(mode, IP, mib);
    if (!r.ok) throw new Error(`${def.name} ${mode} under callgrind: ${JSON.stringify(r)}\n${readFileSync(logPath, 'utf8')}`);
    child.kill('SIGTERM');
    for (let i = 0; i < 1500 && child.exitCode === null && spawnSync('kill', ['-0', String(child.pid)]).status === 0; i++) sleep(20);
    const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(out, 'utf8'));
    if (!m) throw new Error(`no callgrind total in ${out}`);
    return Number(m[1]);
  } finally {
    if (spawnSync('kill', ['-0', String(child.pid)]).status === 0) child.kill('SIGKILL');
    rmSync(out, { force: true }); rmSync(logPath, { force: true });
  }
}
/** (Ir(big) - Ir(small)) / (big - small) MiB of payload (echo: both directions counted). */
function instructionsPerMiB(def: StackDef, mode: string): number {
  const [small, big] = CG_MIB;
  const per = (big - small) * (mode === 'echo' ? 2 : 1);
  return (instructionsOf(def, mode, big) - instructionsOf(def, mode, small)) / per;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const range = (xs: number[], d: number) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;

function main(): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) throw new Error('bench:tap must run as root (network namespace, TAP device)');
  build();
  const load0 = os.loadavg()[0];
  setUp();
  const results = new Map<string, Sample[]>(), instr = new Map<string, number>();
  let planted = '';
  try {
    planted = plantedShortcut();
    console.log(`wire check, planted shortcut (client to the kernel's own address): failed as it must: ${planted}`);
    for (let rep = 1; rep <= REPS; rep++) for (const def of STACKS) runStack(def, rep, results);
    if (CG_MIB.length === 2) for (const mode of SERVICES) for (const def of STACKS) {
      instr.set(`${def.name} ${mode}`, instructionsPerMiB(def, mode));
      console.log(`callgrind ${def.name} ${mode}: ${(instr.get(`${def.name} ${mode}`)! / 1e6).toFixed(2)} M instructions per MiB`);
    }
  } finally {
    spawnSync('ip', ['netns', 'del', NS]);
  }
  const load1 = os.loadavg()[0];
  const rows: string[] = [];
  const json: Record<string, unknown> = { mib: MIB, reps: REPS, load: [load0, load1], planted, date: new Date().toISOString() };
  rows.push(`${MIB} MiB per run, ${REPS} runs per stack and service (alternating), load average ${load0.toFixed(1)} → ${load1.toFixed(1)}; median (range)`, '');
  rows.push(`| service | stack | Mbit/s (wall clock) | CPU ms per MiB: stack process + ksoftirqd/1 | of which the stack process | user-space instructions per MiB (callgrind${CG_MIB.length ? `, ${CG_MIB.join(' and ')} MiB` : ': off'}) | frames to / from the stack (median) |`);
  rows.push('|---|---|---|---|---|---|---|');
  for (const mode of SERVICES) {
    for (const def of STACKS) {
      const s = results.get(`${def.name} ${mode}`)!;
      const mb = s.map((x) => x.mbit), c = s.map((x) => x.cpuMsPerMiB), u = s.map((x) => x.stackMsPerMiB);
      const ir = instr.get(`${def.name} ${mode}`);
      json[`${def.name} ${mode}`] = { runs: s, instructionsPerMiB: ir ?? null };
      rows.push(`| ${mode} | ${def.name} | ${median(mb).toFixed(0)} (${range(mb, 0)}) | ${median(c).toFixed(2)} (${range(c, 2)}) | ${median(u).toFixed(2)} (${range(u, 2)}) | ${ir === undefined ? '' : `${(ir / 1e6).toFixed(2)} M`} | ${median(s.map((x) => x.frames[0]))} / ${median(s.map((x) => x.frames[1]))} |`);
    }
    const a = results.get(`asnet ${mode}`)!, l = results.get(`lwip ${mode}`)!;
    const ratio = (f: (x: Sample) => number) => median(a.map(f)) / median(l.map(f));
    const irA = instr.get(`asnet ${mode}`), irL = instr.get(`lwip ${mode}`);
    rows.push(`| ${mode} | **asnet/lwIP** | **${ratio((x) => x.mbit).toFixed(2)}x** | **${ratio((x) => x.cpuMsPerMiB).toFixed(2)}x** | **${ratio((x) => x.stackMsPerMiB).toFixed(2)}x** | ${irA && irL ? `**${(irA / irL).toFixed(2)}x**` : ''} | |`);
  }
  const md = rows.join('\n');
  console.log(`\n${md}`);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'tap.json'), JSON.stringify(json, null, 1) + '\n');
  writeFileSync(join(OUT, 'tap.md'), `# npx tsx bench/tap.ts ${argv.join(' ')}\n\n${md}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
