// Does the peer delay the ACK of a lone segment? RFC 8985 §7.2 sets the tail-loss probe timeout
// to 2 SRTT and, when one segment is in flight, inflates it by the worst-case delayed-ACK time
// (WCDelAckT): a receiver may hold the ACK of a segment it cannot pair with a second one until its
// delayed-ACK timer fires (RFC 5681 §4.2: at most 500 ms; 200 ms at Linux, a 250 ms tick in lwIP
// and here). Against a peer that ACKs such a segment at once (it answers a request with data, or
// does not delay), the term only delays the repair of a lost request or response: the probe
// then goes 2 SRTT + 250 ms after the send instead of 2 SRTT (issue 23: p99 282 ms on a 10 ms path).
// F_PROMPT_ACK says what the peer did with the last lone segment timed. While it is set the PTO
// of a lone segment leaves out the term but waits at least SRTT + 4 RTTVAR (RFC 6298's RTO without
// its lower bound): a peer whose delayed ACK runs on a tick answers a lone segment anywhere from 0
// to 250 ms late, so its SRTT swings about the mean and 2 SRTT alone falls short of the late
// ACKs now and then (modelled, one lone write a second against delays uniform in 1..250 ms on a
// 10 ms path: 6.6 % of the writes drew a probe with 2 SRTT alone, 0.1 % with the variance).
//   - set when the ACK came within 5/4 SRTT + 1 ms (the clock's granularity) of the send: no
//     delayed-ACK timer held it, or SRTT already includes the delay;
//   - cleared when it came at or after 2 SRTT (the PTO without the term would have fired first),
//     and whenever a probe fires (congestion.ts): it may have beaten a delayed ACK rather than
//     repaired a loss, and Karn's rule (RFC 6298 §3) leaves no sample of the retransmitted segment
//     to tell. The next lone segment waits with the term again, so a peer that starts delaying
//     draws one early probe, not one per quiet request.
// In between the flag stays as it is. It starts clear on every connection: the RFC's PTO.
import { F_PROMPT_ACK, Pcb } from "./pcb";

const WC_DELACK_MS: u32 = 250;        // RFC 8985 §7.2 WCDelAckT: our own delayed ACK waits a 250 ms tick

// The PTO of a lone segment in flight, from `pto` = 2 SRTT.
export function lonePto(p: Pcb, pto: u32): u32 {
  if ((p.flags & F_PROMPT_ACK) == 0) return pto + WC_DELACK_MS;
  return max(pto, <u32>(p.srtt >> 3) + <u32>p.rttvar);
}

// A lone segment (the ACK covers all that was in flight, at most one segment) was acknowledged
// `rttMs` after its send; `pto` is 2 SRTT as the PTO takes it. Runs before the sample updates SRTT.
export function noteLoneAck(p: Pcb, rttMs: u32, pto: u32): void {
  const srtt8 = <u32>p.srtt;            // SRTT in ms << 3 (< 2^31: the sum cannot wrap)
  if (rttMs <= (srtt8 + (srtt8 >> 2) + 8) >> 3) p.flags |= F_PROMPT_ACK;
  else if (rttMs >= pto) p.flags &= ~F_PROMPT_ACK;
}
