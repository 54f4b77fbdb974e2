// boards/mps2-an385: the Cortex-M3 firmware builds with arm-none-eabi-gcc, boots under
// qemu-system-arm -M mps2-an385, brings up the LAN9118 (ID, reset, PHY link) and exchanges
// frames with QEMU's user-mode network (an ARP request to the slirp gateway and its reply).
// QEMU is always stopped: every wait has a deadline and the process is killed in `finally`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

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

test('mps2-an385 firmware boots, resets the LAN9118 and gets an ARP reply from slirp', { timeout: 360_000 }, async () => {
  buildFirmware();
  const qemu = new Qemu('user,model=lan9118,restrict=on');
  try {
    await qemu.waitFor(/mps2-an385: boot/, 10_000);
    const id = await qemu.waitFor(/lan9118: ID_REV 0x([0-9a-f]{8})/, 5_000);
    assert.equal(id[1].slice(0, 4), '0118', 'chip id is a LAN9118');
    await qemu.waitFor(/lan9118: reset done, link up/, 5_000);
    await qemu.waitFor(/selftest: ARP reply from 10\.0\.2\.2 is 52:55:0a:00:02:02/, 5_000);
    const stats = await qemu.waitFor(/stats: tx (\d+) rx (\d+) rx_err (\d+)/, 5_000);
    assert.ok(Number(stats[1]) >= 1 && Number(stats[2]) >= 1, 'frames went both ways');
    assert.equal(stats[3], '0');
    await qemu.waitFor(/selftest: PASS/, 5_000);
  } finally {
    qemu.stop();
  }
});
