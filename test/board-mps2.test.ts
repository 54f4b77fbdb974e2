// boards/mps2-an385: the Cortex-M3 firmware (wasm2c-compiled stack + LAN9118 driver) builds with
// arm-none-eabi-gcc, boots under qemu-system-arm -M mps2-an385, brings up the LAN9118 (ID, reset,
// PHY link), exchanges an ARP request/reply with QEMU's user-mode network, then serves TCP echo
// and HTTP through host-forwarded loopback ports: 1 MiB echoed byte-exact (sha256) with the client
// closing first, and an HTTP page with the firmware closing first; the UART log must show each
// side's RFC 9293 state sequence. QEMU's user network is internal to QEMU and the restrict=on
// option keeps the guest from reaching anything but the forwarded loopback ports.
// QEMU is always stopped: every wait has a deadline and the process is killed in `finally`.
// test/board-riscv.test.ts runs the same checks (test/helpers/qemu-board.ts) on boards/riscv-virt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Qemu, buildFirmware, checkClock, checkServices, checkSessions, freePort, requireTool } from './helpers/qemu-board.ts';

const BOARD = join(import.meta.dirname, '..', 'boards', 'mps2-an385');
const ELF = join(BOARD, 'build', 'firmware.elf');

test('mps2-an385 firmware: boot, LAN9118 bring-up, 1 MiB echo, HTTP, closes from both sides', { timeout: 360_000 }, async (t) => {
  requireTool('arm-none-eabi-gcc', 'gcc-arm-none-eabi libnewlib-arm-none-eabi');
  buildFirmware(BOARD);
  requireTool('qemu-system-arm', 'qemu-system-arm');
  const echoPort = await freePort();
  const httpPort = await freePort();
  const qemu = new Qemu('qemu-system-arm', ['-M', 'mps2-an385', '-nographic', '-semihosting', '-monitor', 'none',
    '-kernel', ELF, '-nic', `user,model=lan9118,restrict=on,hostfwd=tcp:127.0.0.1:${echoPort}-:7,hostfwd=tcp:127.0.0.1:${httpPort}-:80`]);
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

    await checkServices(t, qemu, echoPort, httpPort, 'mps2-an385');
    await checkClock(t, qemu);

    await checkSessions(t, qemu, echoPort, httpPort, 'mps2');

    assert.doesNotMatch(qemu.log, /wasm trap|lan9118: init failed/);
  } finally {
    qemu.stop();
    await qemu.waitExit(5_000).catch(() => undefined);
  }
});
