// boards/mps2-an385: the Cortex-M3 firmware (wasm2c-compiled stack + LAN9118 driver) builds with
// arm-none-eabi-gcc, boots under qemu-system-arm -M mps2-an385, brings up the LAN9118 (ID, reset,
// PHY link), exchanges an ARP request/reply with QEMU's user-mode network, then serves TCP echo
// and HTTP through host-forwarded loopback ports: 1 MiB echoed byte-exact (sha256) with the client
// closing first, and an HTTP page with the firmware closing first; the UART log must show each
// side's RFC 9293 state sequence. QEMU's user network is internal to QEMU and the restrict=on
// option keeps the guest from reaching anything but the forwarded loopback ports.
// QEMU is always stopped: every wait has a deadline and the process is killed in `finally`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { runSessions } from './helpers/sessions.mjs';

const BOARD = join(import.meta.dirname, '..', 'boards', 'mps2-an385');
const ELF = join(BOARD, 'build', 'firmware.elf');

function requireTool(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    assert.fail(`${cmd} is missing: apt-get install -y ${pkg}`);
  }
}

function buildFirmware(): void {
  requireTool('make', 'make');
  requireTool('arm-none-eabi-gcc', 'gcc-arm-none-eabi libnewlib-arm-none-eabi');
  requireTool('wasm2c', 'wabt');
  const r = spawnSync('make', ['-C', BOARD], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `firmware build failed:\n${r.stdout}\n${r.stderr}`);
}

/** A running QEMU with its UART log; `exited` resolves with the exit code. */
class Qemu {
  log = '';
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(nic: string) {
    requireTool('qemu-system-arm', 'qemu-system-arm');
    this.proc = spawn('qemu-system-arm', ['-M', 'mps2-an385', '-nographic', '-semihosting', '-monitor', 'none',
      '-kernel', ELF, '-nic', nic], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => { this.log += d.toString('latin1'); });
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
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Connects to a forwarded port; slirp accepts at once, so retry until the guest answers data. */
function connectTo(port: number, ms: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`connect to ${port} timed out`)); }, ms);
    sock.once('connect', () => { clearTimeout(timer); resolve(sock); });
    sock.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Sends `data`, half-closes, collects everything echoed until the firmware's FIN. */
function echoRoundTrip(sock: Socket, data: Buffer, ms: number): Promise<Buffer> {
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
function httpGet(sock: Socket, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`HTTP timed out after ${ms} ms`)); }, ms);
    sock.on('data', (c: Buffer) => { text += c.toString('latin1'); });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('end', () => { clearTimeout(timer); sock.end(); resolve(text); });
    sock.write('GET / HTTP/1.0\r\nHost: mps2\r\n\r\n');
  });
}

/** The state transitions the firmware logged for one PCB slot, in order. */
function transitions(log: string, slot: string): string[] {
  return [...log.matchAll(/tcp: pcb (\d+) (\w+) -> (\w+)/g)].filter((m) => m[1] === slot).map((m) => `${m[2]}>${m[3]}`);
}

test('mps2-an385 firmware: boot, LAN9118 bring-up, 1 MiB echo, HTTP, closes from both sides', { timeout: 360_000 }, async (t) => {
  buildFirmware();
  const echoPort = await freePort();
  const httpPort = await freePort();
  const qemu = new Qemu(`user,model=lan9118,restrict=on,hostfwd=tcp:127.0.0.1:${echoPort}-:7,hostfwd=tcp:127.0.0.1:${httpPort}-:80`);
  try {
    await t.test('boots, resets the LAN9118 and gets an ARP reply from slirp', async () => {
      await qemu.waitFor(/mps2-an385: boot/, 10_000);
      const id = await qemu.waitFor(/lan9118: ID_REV 0x([0-9a-f]{8})/, 5_000);
      assert.equal(id[1].slice(0, 4), '0118', 'chip id is a LAN9118');
      await qemu.waitFor(/lan9118: reset done, link up/, 5_000);
      await qemu.waitFor(/selftest: ARP reply from 10\.0\.2\.2 is 52:55:0a:00:02:02/, 5_000);
      const stats = await qemu.waitFor(/stats: tx (\d+) rx (\d+) rx_err (\d+)/, 5_000);
      assert.ok(Number(stats[1]) >= 1 && Number(stats[2]) >= 1, 'frames went both ways');
      assert.equal(stats[3], '0');
      await qemu.waitFor(/selftest: PASS/, 5_000);
      await qemu.waitFor(/stack: up, linear memory \d+ KiB/, 5_000);
      await qemu.waitFor(/address: 10\.0\.2\.15 \(dhcp\)/, 15_000);   // slirp's DHCP server gave the lease
      await qemu.waitFor(/app: echo on :7 \(\d+\), http on :80 \(\d+\)/, 5_000);
    });

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
      t.diagnostic(`1 MiB echo round trip under QEMU: ${ms} ms, ${((2 * 8 * data.length) / ms / 1000).toFixed(1)} Mbit/s (both directions)`);
    });

    await t.test('serves an HTTP page and closes first (FIN_WAIT_1 ... TIME_WAIT)', async () => {
      const before = qemu.log.length;
      const reply = await httpGet(await connectTo(httpPort, 5_000), 20_000);
      assert.match(reply, /^HTTP\/1\.0 200 OK\r\n/);
      const [head, body] = reply.split('\r\n\r\n');
      assert.equal(Number(/Content-Length: (\d+)/.exec(head)![1]), body.length);
      assert.match(body, /asnet on mps2-an385/);
      const slot = (await qemu.waitFor(/tcp: pcb (\d+) \w+ -> TIME_WAIT/, 10_000))[1];
      const seq = transitions(qemu.log.slice(before), slot);
      assert.deepEqual(seq.slice(0, 3), ['CLOSED>SYN_RCVD', 'SYN_RCVD>ESTABLISHED', 'ESTABLISHED>FIN_WAIT_1']);
      const rest = seq.slice(3).join(' ');
      assert.ok(rest === 'FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>TIME_WAIT' || rest === 'FIN_WAIT_1>CLOSING CLOSING>TIME_WAIT',
        `active close ends in TIME_WAIT, got ${seq.join(' ')}`);
    });

    // Issue 18 bug 8: 100 sessions per close order of each service (4 connection slots: a slot kept
    // per session stops the service after 4), then the page's netstat shows nothing left behind.
    for (const [service, port] of [['echo', echoPort], ['http', httpPort]] as const) {
      await t.test(`${service}: 100 sessions per close order, no handle left behind`, async () => {
        const r = await runSessions('127.0.0.1', port, service, 100);
        t.diagnostic(`mps2 ${service}: ${r.sessions} sessions (${r.orders.join(', ')}) in ${r.ms} ms`);
        let line = '';
        for (let i = 0; i < 20; i++) {
          line = /netstat:([^<]*)</.exec(await httpGet(await connectTo(httpPort, 5_000), 20_000))?.[1] ?? '';
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

    assert.doesNotMatch(qemu.log, /wasm trap|lan9118: init failed/);
  } finally {
    qemu.stop();
    await qemu.waitExit(5_000).catch(() => undefined);
  }
});
