// boards/riscv-virt: the ESP32-C3's ISA (rv32imac, ilp32) bare metal. The firmware (the same
// wasm2c output of build/stack.wasm and boards/common glue as mps2-an385, picolibc, a virtio-net
// driver over virtio-mmio) builds with Debian's riscv64-unknown-elf-gcc, boots under
// qemu-system-riscv32 -M virt -bios none, finds the virtio-net device, reads the MAC given on
// QEMU's command line from its config space, exchanges an ARP request/reply with slirp, takes a
// DHCP lease from slirp, then passes the checks of test/helpers/qemu-board.ts (1 MiB echo
// byte-exact with the client closing first, HTTP with the firmware closing first, each side's
// state sequence). Two short boots check the driver's refusals: the legacy transport (QEMU 7.2's
// default) and a machine without a NIC end QEMU through semihosting with status 1.
// restrict=on keeps the guest off everything but the forwarded loopback ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapSizes } from '../scripts/map-sizes.ts';
import { Qemu, buildFirmware, checkClock, checkServices, checkSessions, freePort, requireTool } from './helpers/qemu-board.ts';

const BOARD = join(import.meta.dirname, '..', 'boards', 'riscv-virt');
const ELF = join(BOARD, 'build', 'firmware.elf');
const MAC = '02:00:00:00:52:56';
const MODERN = ['-global', 'virtio-mmio.force-legacy=false'];

function build(): void {
  requireTool('riscv64-unknown-elf-gcc', 'gcc-riscv64-unknown-elf');
  requireTool('make', 'make');
  if (spawnSync('riscv64-unknown-elf-gcc', ['--specs=picolibc.specs', '-march=rv32imac', '-mabi=ilp32', '-E', '-x', 'c', '/dev/null']).status !== 0) {
    assert.fail('picolibc for riscv64-unknown-elf is missing: apt-get install -y picolibc-riscv64-unknown-elf');
  }
  buildFirmware(BOARD);
  requireTool('qemu-system-riscv32', 'qemu-system-misc');
}

function boot(extra: string[]): Qemu {
  return new Qemu('qemu-system-riscv32', ['-M', 'virt', '-bios', 'none', '-nographic', '-semihosting',
    '-monitor', 'none', '-kernel', ELF, ...extra]);
}

test('riscv-virt firmware: boot, virtio-net bring-up, DHCP, 1 MiB echo, HTTP, closes from both sides', { timeout: 360_000 }, async (t) => {
  build();
  const echoPort = await freePort();
  const httpPort = await freePort();
  const qemu = boot([...MODERN,
    '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${echoPort}-:7,hostfwd=tcp:127.0.0.1:${httpPort}-:80`,
    '-device', `virtio-net-device,netdev=n0,mac=${MAC}`]);
  try {
    await t.test('boots, finds virtio-net (modern), gets an ARP reply and a DHCP lease from slirp', async () => {
      await qemu.waitFor(/riscv-virt: boot, rv32imac/, 10_000);
      const dev = await qemu.waitFor(/virtio-net: mmio 0x(1000[1-8]000) version (\d+), mac ([0-9a-f:]{17}), link (\w+)/, 5_000);
      assert.equal(dev[2], '2', 'modern virtio-mmio transport');
      assert.equal(dev[3], MAC, 'MAC read from the device config space');
      assert.equal(dev[4], 'up');
      await qemu.waitFor(/selftest: ARP reply from 10\.0\.2\.2 is 52:55:0a:00:02:02/, 5_000);
      const stats = await qemu.waitFor(/stats: tx (\d+) rx (\d+) rx_err (\d+)/, 5_000);
      assert.ok(Number(stats[1]) >= 1 && Number(stats[2]) >= 1, 'frames went both ways');
      assert.equal(stats[3], '0');
      await qemu.waitFor(/selftest: PASS/, 5_000);
      await qemu.waitFor(/stack: up, linear memory \d+ KiB/, 5_000);
      await qemu.waitFor(/address: 10\.0\.2\.15 \(dhcp\)/, 15_000);   // slirp's DHCP server gave the lease
      await qemu.waitFor(/app: echo on :7 \(\d+\), http on :80 \(\d+\)/, 5_000);
    });

    await checkServices(t, qemu, echoPort, httpPort, 'riscv-virt');
    await checkSessions(t, qemu, echoPort, httpPort, 'riscv-virt');
    await checkClock(t, qemu);

    await t.test('the driver counted no receive errors over the whole run', async () => {
      const STATS = /stats: tx (\d+) rx (\d+) rx_err (\d+) tx_busy (\d+), C stack high water (\d+) bytes/g;
      const seen = [...qemu.log.matchAll(STATS)].length;
      const deadline = Date.now() + 8_000;                 // the firmware prints stats every 5 s
      while ([...qemu.log.matchAll(STATS)].length === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const last = [...qemu.log.matchAll(STATS)].at(-1)!;
      assert.ok([...qemu.log.matchAll(STATS)].length > seen, 'a stats line after the transfers');
      assert.ok(Number(last[1]) > 700 && Number(last[2]) > 700, `1 MiB each way took hundreds of frames: ${last[0]}`);
      assert.equal(last[3], '0', 'rx_err');
      t.diagnostic(`riscv-virt driver: ${last[0]}`);
    });

    assert.doesNotMatch(qemu.log, /wasm trap|virtio-net: init failed|trap: mcause|abort/);
  } finally {
    qemu.stop();
    await qemu.waitExit(5_000).catch(() => undefined);
  }
});

// The README's per-object figures come from scripts/map-sizes.ts: its sum must match size(1) of the ELF.
test('riscv-virt firmware: per-object linked sizes add up to the text and data of the ELF', { timeout: 300_000 }, () => {
  build();
  const size = spawnSync('riscv64-unknown-elf-size', [ELF], { encoding: 'utf8' });
  assert.equal(size.status, 0, size.stderr);
  const [text, data] = size.stdout.split('\n')[1].trim().split(/\s+/).map(Number);
  const rows = [...mapSizes(readFileSync(join(BOARD, 'build', 'firmware.map'), 'utf8')).values()];
  const sum = (k: 'text' | 'data') => rows.reduce((n, r) => n + r[k], 0);
  assert.ok(text - sum('text') >= 0 && text - sum('text') < 64, `text: size(1) ${text}, objects ${sum('text')} (only alignment fill may differ)`);
  assert.ok(data - sum('data') >= 0 && data - sum('data') < 16, `data: size(1) ${data}, objects ${sum('data')}`);
  assert.ok(rows.length >= 15, 'every object of the firmware is listed');
});

test('riscv-virt firmware refuses the legacy transport and a machine without a NIC, exiting 1', { timeout: 60_000 }, async (t) => {
  build();
  for (const c of [
    { name: 'legacy virtio-mmio (QEMU 7.2 default)', args: ['-netdev', 'user,id=n0,restrict=on', '-device', 'virtio-net-device,netdev=n0'], code: -2 },
    { name: 'no virtio-net device', args: ['-nic', 'none'], code: -1 },
  ]) {
    await t.test(c.name, async () => {
      const qemu = boot(c.args);
      try {
        await qemu.waitFor(new RegExp(`virtio-net: init failed \\(${c.code}\\)`), 10_000);
        assert.equal(await qemu.waitExit(10_000), 1, 'semihosting SYS_EXIT with a failure reason');
      } finally {
        qemu.stop();
      }
    });
  }
});
