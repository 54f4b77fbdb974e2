// Shared by the QEMU board tests (test/board-mps2.test.ts, test/board-riscv.test.ts): build the
// firmware with make, run QEMU with its UART log captured, and drive the firmware's echo and HTTP
// services through slirp's host-forwarded loopback ports. Every wait has a deadline.
import { runSessions } from './sessions.mjs';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

/** Fails (never skips) when a tool the test needs is missing, naming the Debian package. */
export function requireTool(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    assert.fail(`${cmd} is missing: apt-get install -y ${pkg}`);
  }
}

/** `make -C dir` with the given make arguments; fails the test with the build's output. */
export function buildFirmware(dir: string, args: string[] = []): void {
  requireTool('make', 'make');
  requireTool('wasm2c', 'wabt');
  const r = spawnSync('make', ['-C', dir, ...args], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `firmware build failed:\n${r.stdout}\n${r.stderr}`);
}

/** A running QEMU with its UART log; `exited` resolves with the exit code. */
export class Qemu {
  log = '';
  /** Wall-clock arrival (ms) of each chunk of output, with the log length after it. */
  readonly arrivals: { at: number; end: number }[] = [];
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.log += d.toString('latin1');
      this.arrivals.push({ at: Date.now(), end: this.log.length });
    });
    this.proc.stderr!.on('data', (d: Buffer) => { this.log += d.toString('latin1'); });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  /** Resolves when the UART log matches `re`; rejects after `ms` or if QEMU exits first. */
  async waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const m = this.log.match(re);
      if (m) return m;
      if (this.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`UART log never matched ${re} within ${ms} ms:\n${this.log}`);
  }

  /** Wall-clock time (ms) at which the log first reached `offset` characters. */
  arrivedAt(offset: number): number {
    const a = this.arrivals.find((x) => x.end >= offset);
    if (!a) throw new Error(`no output arrived up to offset ${offset}`);
    return a.at;
  }

  async waitExit(ms: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`QEMU still running after ${ms} ms:\n${this.log}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

/** A loopback port that was free a moment ago (QEMU binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Connects to a forwarded port (slirp accepts at once, whatever the guest does). */
export function connectTo(port: number, ms: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`connect to ${port} timed out`)); }, ms);
    sock.once('connect', () => { clearTimeout(timer); resolve(sock); });
    sock.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Sends `data`, half-closes, collects everything echoed until the firmware's FIN. */
export function echoRoundTrip(sock: Socket, data: Buffer, ms: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`echo timed out after ${ms} ms, got ${chunks.reduce((n, c) => n + c.length, 0)} bytes`)); }, ms);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('end', () => { clearTimeout(timer); sock.end(); resolve(Buffer.concat(chunks)); });
    sock.end(data); // client-side close: FIN after the last byte
  });
}

/** Sends an HTTP/1.0 request and reads the response until the firmware closes. */
export function httpGet(sock: Socket, host: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`HTTP timed out after ${ms} ms`)); }, ms);
    sock.on('data', (c: Buffer) => { text += c.toString('latin1'); });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('end', () => { clearTimeout(timer); sock.end(); resolve(text); });
    sock.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
  });
}

/** The state transitions the firmware logged for one PCB slot, in order. */
export function transitions(log: string, slot: string): string[] {
  return [...log.matchAll(/tcp: pcb (\d+) (\w+) -> (\w+)/g)].filter((m) => m[1] === slot).map((m) => `${m[2]}>${m[3]}`);
}

/**
 * The service checks every QEMU board passes once booted (subtests of `t`): 1 MiB echoed
 * byte-exact (sha256) with the client closing first (CLOSE_WAIT, LAST_ACK on the firmware), then an
 * HTTP page naming `board` with the firmware closing first (FIN_WAIT_1 ... TIME_WAIT).
 */
export async function checkServices(t: TestContext, qemu: Qemu, echoPort: number, httpPort: number, board: string): Promise<void> {
  await t.test('echoes 1 MiB byte-exact; the client closes first', async () => {
    const data = randomBytes(1 << 20);
    const started = Date.now();
    const back = await echoRoundTrip(await connectTo(echoPort, 5_000), data, 120_000);
    const ms = Date.now() - started;
    assert.equal(back.length, data.length, 'echoed length');
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'));
    const line = await qemu.waitFor(/conn: echo handle \d+ peer closed: in (\d+) out (\d+) bytes/, 10_000);
    assert.equal(Number(line[1]), data.length);
    assert.equal(Number(line[2]), data.length);
    const slot = (await qemu.waitFor(/tcp: pcb (\d+) LAST_ACK -> CLOSED/, 10_000))[1];
    assert.deepEqual(transitions(qemu.log, slot).slice(0, 5),
      ['CLOSED>SYN_RCVD', 'SYN_RCVD>ESTABLISHED', 'ESTABLISHED>CLOSE_WAIT', 'CLOSE_WAIT>LAST_ACK', 'LAST_ACK>CLOSED']);
    t.diagnostic(`${board}: 1 MiB echo round trip under QEMU: ${ms} ms, ${((2 * 8 * data.length) / ms / 1000).toFixed(1)} Mbit/s (both directions)`);
  });

  await t.test('serves an HTTP page and closes first (FIN_WAIT_1 ... TIME_WAIT)', async () => {
    const before = qemu.log.length;
    const reply = await httpGet(await connectTo(httpPort, 5_000), board, 20_000);
    assert.match(reply, /^HTTP\/1\.0 200 OK\r\n/);
    const [head, body] = reply.split('\r\n\r\n');
    assert.equal(Number(/Content-Length: (\d+)/.exec(head)![1]), body.length);
    assert.ok(body.includes(`asnet on ${board}`), `page names the board: ${body}`);
    const slot = (await qemu.waitFor(/tcp: pcb (\d+) \w+ -> TIME_WAIT/, 10_000))[1];
    const seq = transitions(qemu.log.slice(before), slot);
    assert.deepEqual(seq.slice(0, 3), ['CLOSED>SYN_RCVD', 'SYN_RCVD>ESTABLISHED', 'ESTABLISHED>FIN_WAIT_1']);
    const rest = seq.slice(3).join(' ');
    assert.ok(rest === 'FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>TIME_WAIT' || rest === 'FIN_WAIT_1>CLOSING CLOSING>TIME_WAIT',
      `active close ends in TIME_WAIT, got ${seq.join(' ')}`);
  });
}

/**
 * The board's millisecond clock keeps wall time: the firmware prints a `stats:` line every 5,000
 * board ms; two consecutive ones must arrive 5 s apart (within 1.5 s) on the host's clock. A clock
 * that counts timer interrupts loses the ones a loaded host delivers late, and runs slow.
 */
export async function checkClock(t: TestContext, qemu: Qemu): Promise<void> {
  await t.test('the board clock keeps wall time (stats every 5,000 board ms)', async () => {
    const STATS = /stats: tx \d+ rx \d+[^\n]*\n/g;
    const ends = () => [...qemu.log.matchAll(STATS)].map((m) => m.index! + m[0].length);
    const start = ends().length;
    const deadline = Date.now() + 20_000;
    while (ends().length < start + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const e = ends();
    assert.ok(e.length >= start + 2, `two more stats lines within 20 s:\n${qemu.log}`);
    const gap = qemu.arrivedAt(e[start + 1]) - qemu.arrivedAt(e[start]);
    assert.ok(Math.abs(gap - 5_000) <= 1_500, `5,000 board ms took ${gap} ms of wall time`);
    t.diagnostic(`5,000 board ms = ${gap} ms wall`);
  });
}

/**
 * Issue 18 bug 8: 100 sessions per close order of each service (4 connection slots: a slot kept per
 * session stops the service after 4), then the page's netstat shows nothing left behind.
 */
export async function checkSessions(t: TestContext, qemu: Qemu, echoPort: number, httpPort: number, board: string): Promise<void> {
  for (const [service, port] of [['echo', echoPort], ['http', httpPort]] as const) {
    await t.test(`${service}: 100 sessions per close order, no handle left behind`, async () => {
      const r = await runSessions('127.0.0.1', port, service, 100);
      t.diagnostic(`${board} ${service}: ${r.sessions} sessions (${r.orders.join(', ')}) in ${r.ms} ms`);
      let line = '';
      for (let i = 0; i < 20; i++) {
        line = /netstat:([^<]*)</.exec(await httpGet(await connectTo(httpPort, 5_000), '127.0.0.1', 20_000))?.[1] ?? '';
        const left = [...line.matchAll(/(\w+)=(\d+)/g)].filter((m) => m[1] !== 'LISTEN' && m[1] !== 'TIME_WAIT' && m[1] !== 'ESTABLISHED');
        if (!left.length) break;
        await new Promise((res) => setTimeout(res, 250));
      }
      // The page's own request is the one ESTABLISHED connection; anything else is a leak.
      const left = [...line.matchAll(/(\w+)=(\d+)/g)].filter((m) => m[1] !== 'LISTEN' && m[1] !== 'TIME_WAIT').map((m) => m[0]);
      assert.deepEqual(left, ['ESTABLISHED=1'], `netstat:${line}`);
      assert.match(line, /LISTEN=2/);
    });
  }
}
