// The budget shared by challenge ACKs (RFC 5961 §3.2, §4.2, §5.2) and the ACKs owed for
// unacceptable segments (RFC 9293 §3.10.7.4): tcp_challenge_ack_limit per second.
//
// RFC 5961 §10 / CVE-2016-5696: with a fixed global budget an off-path attacker can count the
// challenge ACKs his own connection gets in one second and learn how many the victim's
// connection used up, hence whether a guessed 4-tuple exists. As Linux 4.7 did, each second's
// budget is drawn at random from [limit/2, limit/2 + limit), so the count carries no fixed offset.
// Before that budget, each connection may send at most one challenge ACK per 512 ms tick (Linux's
// per-socket tcp_invalid_ratelimit of 500 ms, checked first in tcp_send_challenge_ack): the
// attacker's own connection then sees about two a second whatever the victim's used up.
import { Sysctl, sysctl } from "../config";
import { nowMs } from "../core/time";
import { random } from "../env";
import { count, Stat } from "../stats";
import { Pcb } from "./pcb";

let windowStart: u32 = 0;
let left: i32 = 0;

// The first call after a reset starts a new second (a window that began 1000 ms ago).
export function challengeReset(): void {
  windowStart = nowMs - 1000;
}

// True (and one ACK spent) when the current second's budget allows another ACK.
export function challengeBudget(): bool {
  if (nowMs - windowStart >= 1000) {
    windowStart = nowMs;
    const limit = sysctl(Sysctl.tcp_challenge_ack_limit);
    left = limit <= 0 ? 0 : ((limit + 1) >> 1) + <i32>(random() % <u32>limit);
  }
  if (left <= 0) { count(Stat.challenge_ack_limited); return false; }
  left--;
  return true;
}

// True (and the connection's tick taken) when `p` sent no challenge ACK in this 512 ms tick. Ticks
// are odd (a fresh PCB holds 0, "none yet") and wrap after 65.5 s: a connection silent for
// exactly a multiple of that may have one challenge held back (the peer repeats its RST or SYN).
export function connChallengeAllowed(p: Pcb): bool {
  const tick = <u8>(nowMs >> 8) | 1;
  if (p.challengeTick == tick) { count(Stat.challenge_ack_limited); return false; }
  p.challengeTick = tick;
  return true;
}
