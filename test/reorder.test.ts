// Reordering without loss (issue 23): with D-SACK reports (RFC 2883) from the receiver and the
// sender's reordering window widened on them (RFC 8985 §6.2 step 4, tcp/congestion.ts onDsack),
// 25 % reordering costs few spurious retransmissions, and the one recovery a needless fast
// retransmit starts is undone by its D-SACK (RFC 3708). bench/reorder.ts prints the figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPair } from './helpers/pair.ts';
import { tapRepeats, type Repeats } from './helpers/repeats.ts';

test('25 % reordering, no loss, 4 MiB over 40 ms RTT, seeds 1-3: at most 40 spurious retransmissions in all, byte-exact', () => {
  let retrans = 0;
  const each: number[] = [];
  const repeats: Repeats = { count: 0, examples: [] };
  for (const seed of [1, 2, 3]) {
    const r = runPair({ seed, bytes: 4 << 20, bidir: false, maxVirtualMs: 3_600_000,
      setup: tapRepeats('192.0.2.1', 40, repeats),
      impair: { delayMs: 20, reorder: 0.25, reorderDelayMs: 10 },
      sysctls: { tcp_rmem_default: 65535, tcp_wmem_default: 65535 } });
    assert.equal(r.got[0], 4 << 20);
    assert.equal(r.gotHash[0], r.sentHash[0]);
    assert.ok(r.wire.stats.reordered > 1000, `the wire reordered ${r.wire.stats.reordered} frames`);
    assert.equal(r.a.stat('tcp_timeouts'), 0, 'no RTO');
    // The first episode's fast retransmit is needless (reo_wnd starts at min_RTT / 4, exactly the
    // extra delay of a reordered frame here); its D-SACK undoes the cwnd reduction
    // (tcp/congestion.ts undoOnDsack).
    assert.ok(r.a.stat('tcp_dsack_undo') >= 1, `seed ${seed}: no recovery undone (${r.a.stat('tcp_fast_retrans')} fast retransmits)`);
    each.push(r.a.stat('tcp_retrans'));
    retrans += r.a.stat('tcp_retrans');
  }
  // Without the widening: 43 + 30 + 262 (bench/README.md, "Reordering without loss").
  assert.ok(retrans <= 40, `spurious retransmissions per seed: ${each.join(', ')}`);
  // The path's RTT is at least 40 ms: a segment sent again sooner was resent on evidence older
  // than its last copy. Before the fix (tcp/output.ts: recover follows a late first-hole
  // retransmission; congestion.ts resendFirstHole once per snd_una) seed 2 sent 9 such copies,
  // several segments three times in one millisecond.
  assert.equal(repeats.count, 0, `segments resent within one RTT: ${repeats.examples.join('; ')}`);
});
