// Reordering tolerance (issue 23: "25 % reorder does not trigger spurious retransmits"; figures,
// not tests): 4 MiB one way between two stacks of the Node simulation (test/helpers/pair.ts:
// host/wire.ts's seeded impairments, virtual time), 20 ms one-way delay, no loss; a reordered frame
// (both directions) is held 10 ms more, so later frames overtake it. With no loss every
// retransmission is spurious. 64 KiB buffers both ways.
//
//   npx tsx bench/reorder.ts [SEEDS]      (default 1,2,3; after npm run -s build)
//
// Columns: completion (virtual ms), retransmitted segments (tcp_retrans of the sender), fast
// retransmits (recovery entries), RACK reordering-timer expiries, RTOs, frames the wire reordered;
// a run stops the script (exit 3) unless B received every byte intact.
import { runPair } from '../test/helpers/pair.ts';

const seeds = (process.argv[2] ?? '1,2,3').split(',').map(Number);
const MiB = 1 << 20;
console.log('| reorder | seed | completion ms | retransmitted segments | fast retransmits | RACK timer expiries | RTOs | recoveries undone | frames reordered |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const reorder of [0, 0.1, 0.25]) {
  for (const seed of seeds) {
    const r = runPair({ seed, bytes: 4 * MiB, bidir: false, maxVirtualMs: 3_600_000,
      impair: { delayMs: 20, reorder, reorderDelayMs: 10 },
      sysctls: { tcp_rmem_default: 65535, tcp_wmem_default: 65535 } });
    if (r.got[0] !== 4 * MiB || r.gotHash[0] !== r.sentHash[0]) {
      console.error(`reorder ${reorder} seed ${seed}: B got ${r.got[0]} bytes, hash ${r.gotHash[0] === r.sentHash[0] ? 'ok' : 'WRONG'}`);
      process.exit(3);
    }
    const a = r.a;
    console.log(`| ${reorder * 100} % | ${seed} | ${r.virtualMs} | ${a.stat('tcp_retrans')} | ${a.stat('tcp_fast_retrans')} | ${a.stat('tcp_rack_reo_timeouts')} | ${a.stat("tcp_timeouts")} | ${a.stat("tcp_dsack_undo")} | ${r.wire.stats.reordered} |`);
  }
}
