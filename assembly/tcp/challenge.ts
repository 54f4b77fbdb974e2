// The budget shared by challenge ACKs (RFC 5961 §3.2, §4.2, §5.2) and the ACKs owed for
// unacceptable segments (RFC 9293 §3.10.7.4): tcp_challenge_ack_limit per second.
//
// RFC 5961 §10 / CVE-2016-5696: with a fixed global budget an off-path attacker can count the
// challenge ACKs his own connection gets in one second and learn how many the victim's
// connection used up, hence whether a guessed 4-tuple exists. As Linux 4.7 did, each second's
// budget is drawn at random from [limit/2, limit/2 + limit), so the count carries no fixed offset.
import { Sysctl, sysctl } from "../config";
import { nowMs } from "../core/time";
import { random } from "../env";
import { count, Stat } from "../stats";

let windowStart: u32 = 0;
let left: i32 = 0;
let started = false;

export function challengeReset(): void {
  started = false;
}

// True (and one ACK spent) when the current second's budget allows another ACK.
export function challengeBudget(): bool {
  if (!started || nowMs - windowStart >= 1000) {
    started = true;
    windowStart = nowMs;
    const limit = sysctl(Sysctl.tcp_challenge_ack_limit);
    left = limit <= 0 ? 0 : ((limit + 1) >> 1) + <i32>(random() % <u32>limit);
  }
  if (left <= 0) { count(Stat.challenge_ack_limited); return false; }
  left--;
  return true;
}
