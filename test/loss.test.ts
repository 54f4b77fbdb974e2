// Issue 23: loss-recovery rules that a .pkt script cannot express (test/pd/scripts/ has the rest):
// overlapping out-of-order data keeps the first copy (as Linux), and tcp_info reports the
// recovery state (ca_state, as Linux's tcpi_ca_state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runner, REMOTE_PORT } from './pd/runner.ts';
import { tcpFrame } from './helpers/frames.ts';

const REMOTE_ISN = 1_000_000;
const MAC_L = [2, 0, 0, 0, 0, 2], MAC_R = [2, 0, 0, 0, 0, 1];

/** A Runner-driven passive open on port 8080; returns the runner and the accepted handle. */
function accepted(extra = ''): { r: Runner; h: number } {
  const r = new Runner('loss.test.ts');
  r.run(`0 socket s; bind s 8080; listen s 4
+0 < S 0:0(0) win 65535 <mss 1460,sackOK>
+0 > S. 0:0(0) ack 1 <mss 1460>
+.01 < . 1:1(0) ack 1 win 65535
+0 accept s c
${extra}`);
  return { r, h: (r as unknown as { handles: Map<string, number> }).handles.get('c')! };
}

function segment(r: Runner, seq: number, fill: number, len: number): void {
  const isn = (r as unknown as { stackIsn: number }).stackIsn;
  r.stack.input(tcpFrame({ srcMac: MAC_R, dstMac: MAC_L, srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport: REMOTE_PORT,
    dport: 8080, seq: (REMOTE_ISN + seq) >>> 0, ack: (isn + 1) >>> 0, flags: 0x18, win: 65535,
    payload: new Uint8Array(len).fill(fill) }));
}

test('overlapping out-of-order data: the first copy wins (out-of-order over out-of-order, in-order over out-of-order)', () => {
  const { r, h } = accepted();
  segment(r, 1001, 0x41, 1000);      // A: [1001, 2001) out of order
  segment(r, 1501, 0x42, 1000);      // B: [1501, 2501) overlaps A's tail: A's bytes stay
  segment(r, 2801, 0x43, 200);       // C: [2801, 3001)
  segment(r, 2401, 0x44, 500);       // D: [2401, 2901) covers B's tail, the gap and C's head
  segment(r, 1, 0x45, 1400);         // E: in order [1, 1401), overlaps A's head: A's bytes stay
  segment(r, 1, 0x46, 1460);         // F: retransmissions of all of it change nothing held
  segment(r, 1461, 0x46, 1460);
  segment(r, 2921, 0x46, 80);
  const got = r.stack.recv(h, 4000);
  assert.ok(got instanceof Uint8Array, `recv: ${got}`);
  const want = new Uint8Array(3000);
  want.fill(0x45, 0, 1000); want.fill(0x41, 1000, 2000); want.fill(0x42, 2000, 2500);
  want.fill(0x44, 2500, 2800); want.fill(0x43, 2800, 3000);
  assert.equal(got.length, 3000);
  const firstDiff = got.findIndex((b, i) => b !== want[i]);
  assert.equal(firstDiff, -1, `byte ${firstDiff + 1}: got ${String.fromCharCode(got[firstDiff])}, want ${String.fromCharCode(want[firstDiff])}`);
});

test('tcp_info ca_state: open, disorder (SACKed data), recovery, open again, loss after an RTO', () => {
  const r = new Runner('loss.test.ts');
  const ca = () => { const i = r.stack.info(h()); assert.ok(typeof i !== 'number'); return i.ca_state; };
  const h = () => (r as unknown as { handles: Map<string, number> }).handles.get('c')!;
  r.run(`0 sysctl tcp_recovery:0
+0 socket c; connect c = EINPROGRESS
+0 > S 0:0(0) <mss 1460,sackOK>
+.1 < S. 0:0(0) ack 1 win 65535 <mss 1000,sackOK>
+0 > . 1:1(0) ack 1
+0 send c 5000 = 5000
+0 > *`);
  assert.equal(ca(), 0);
  r.run(`+.1 < . 1:1(0) ack 1 win 65535 <sack 1001:2001>`);
  assert.equal(ca(), 1);
  r.run(`+0 < . 1:1(0) ack 1 win 65535 <sack 1001:4001>
+0 > . 1:1001(1000) ack 1`);
  assert.equal(ca(), 3);
  r.run(`+.01 < . 1:1(0) ack 5001 win 65535`);
  assert.equal(ca(), 0);
  r.run(`+0 send c 100 = 100
+0 > P. 5001:5101(100) ack 1
+.3 > P. 5001:5101(100) ack 1`);
  assert.equal(ca(), 4);
});

// The wasm2c pair's livelock of the last round (one-page build, 64 KiB SO_RCVBUF/SO_SNDBUF, 5 %
// loss: bench/wasm2c `pair bulk 2 50000 7` never returned). Cause: the lost-stretch marks
// (rtxNext/rtxEnd) of a fresh PCB were 0; for an ISN in the upper half of sequence space 0 lies
// "ahead" of SND.UNA, so the first recovery marked [SND.UNA, 0) lost and "retransmitted" unsent
// data from the send buffer without advancing SND.NXT; the peer's ACK of it then looked like an
// ACK of unsent data and was dropped, forever. Several seeds, so that both halves of the ISN space
// occur (seeds 1, 12, 32 and 36 stalled at 70-95 KiB with the fix reverted); each must complete
// byte-exact in bounded virtual time.
test('5 % loss with 64 KiB buffers on the one-page build: every seed completes byte-exact (no stale lost-stretch marks)', async () => {
  const { runPair } = await import('./helpers/pair.ts');
  for (const seed of [1, 12, 32, 36, 7, 23]) {   // 1, 12, 32, 36 hung before the fix
    const r = runPair({ seed, bytes: 1 << 20, impair: { loss: 0.05 }, maxVirtualMs: 120_000,
      sysctls: { tcp_rmem_default: 65535, tcp_wmem_default: 65535 } });
    assert.equal(r.got[0], 1 << 20, `seed ${seed}`);
    assert.equal(r.gotHash[0], r.sentHash[0], `seed ${seed}: bytes differ`);
  }
});

// A retransmission goes once per piece of evidence: nothing can tell the sender within one RTT
// that the copy it just sent was lost (test/helpers/repeats.ts). Before the fixes (tcp/output.ts:
// `recover` follows a first-hole retransmission sent late in the episode; tcp/congestion.ts:
// resendFirstHole once per snd_una, the lost-retransmission rule resends the oldest hole only,
// sendNow never moves rtxNext back) the duplicate ACKs of one burst resent the same holes again:
// 776 such copies in these 8 runs, 2,232 retransmissions in all. Now 10 (a hole retransmitted
// while below snd_una, then reached by a partial ACK in the same burst: moving `recover` on
// every retransmission ends those too but made 16 MiB at 1-5 % loss 34 % slower).
test('2 % and 5 % loss over a 10 ms RTT, seeds 1, 2, 3, 7: (almost) no segment is sent twice within one RTT', async () => {
  const { runPair } = await import('./helpers/pair.ts');
  const { tapRepeats } = await import('./helpers/repeats.ts');
  const repeats = { count: 0, examples: [] as string[] };
  for (const seed of [1, 2, 3, 7]) {
    for (const impair of [{ loss: 0.05, delayMs: 5 }, { loss: 0.02, delayMs: 5 }]) {
      const r = runPair({ seed, bytes: 1 << 20, impair, maxVirtualMs: 120_000, setup: tapRepeats('192.0.2.1', 10, repeats),
        sysctls: { tcp_rmem_default: 65535, tcp_wmem_default: 65535 } });
      assert.equal(r.gotHash[0], r.sentHash[0], `seed ${seed}: bytes differ`);
    }
  }
  assert.ok(repeats.count <= 12, `${repeats.count} segments resent within one RTT: ${repeats.examples.join('; ')}`);
});
