// Unit-test entry: exports the stack's internal building blocks so that test/unit-core.test.ts can
// check them directly (checksum vectors, sequence arithmetic, pools, header views). Built to
// build/unit.wasm; never shipped.
import { checksum, transportChecksum, sumBytes, foldToBe } from "../../assembly/core/checksum";
import { seqGeq, seqGt, seqLeq, seqLt, seqInRange } from "../../assembly/core/seq";
import { Pool, makePool } from "../../assembly/core/pool";
import { get16, get32, put16, put32 } from "../../assembly/core/bytes";
import { ipEmit, ipHeaderLen, ipTotalLen, ipProto, ipSrc, ipDst, ipTtl, ipIsFragment } from "../../assembly/wire/ipv4";
import { tcpEmit, tcpSeq, tcpAck, tcpFlags, tcpHeaderLen, tcpWindow, tcpSrcPort, tcpDstPort } from "../../assembly/wire/tcp";
import {
  opts, parseOptions, emitMss, emitWscale, emitSackPerm, emitTimestamps, emitSackHeader, emitSackBlock,
  sackStart, sackEnd,
} from "../../assembly/wire/tcp_options";
import { arpEmit, arpOper, arpSpa, arpTpa, arpIsEthIpv4 } from "../../assembly/wire/arp";
import { ethEmit, ethType } from "../../assembly/wire/ethernet";
import { siphash16 } from "../../assembly/core/siphash";
import { abortInfo } from "../../assembly/core/abort";
export function abort_info(): usize { return abortInfo(); }

const scratch: usize = memory.data(4096, 16);
export function buf(): usize { return scratch; }

export function csum(p: usize, len: i32): u32 { return checksum(p, len); }
export function csum_split(p: usize, len: i32, cut: i32): u32 {
  // Summing in two pieces (cut even) must equal one pass (RFC 1071 §2(A)).
  return ~foldToBe(sumBytes(p + <usize>cut, len - cut, sumBytes(p, cut, 0))) & 0xffff;
}
export function tcsum(src: u32, dst: u32, proto: u32, p: usize, len: i32): u32 { return transportChecksum(src, dst, proto, p, len); }

export function seq_lt(a: u32, b: u32): bool { return seqLt(a, b); }
export function seq_leq(a: u32, b: u32): bool { return seqLeq(a, b); }
export function seq_gt(a: u32, b: u32): bool { return seqGt(a, b); }
export function seq_geq(a: u32, b: u32): bool { return seqGeq(a, b); }
export function seq_in(x: u32, a: u32, b: u32): bool { return seqInRange(x, a, b); }

const pool: Pool = makePool(memory.data(offsetof<Pool>()), memory.data(16 * 4), memory.data(8), memory.data(4), 16, 4);
export function pool_alloc(): i32 { return pool.alloc(); }
export function pool_free(i: i32): bool { return pool.free(i); }
export function pool_used(): i32 { return pool.used; }
export function pool_failures(): i32 { return pool.failures; }
export function pool_high(): i32 { return pool.highWater; }
export function pool_ok(): bool { return pool.checkConsistent(); }
export function pool_reset(): void { pool.reset(); }

export function be16(p: usize): u32 { return get16(p); }
export function be32(p: usize): u32 { return get32(p); }
export function put_be16(p: usize, v: u32): void { put16(p, v); }
export function put_be32(p: usize, v: u32): void { put32(p, v); }

export function ip_emit(p: usize, total: i32, id: u32, ttl: u32, proto: u32, src: u32, dst: u32, df: bool): void {
  ipEmit(p, total, id, ttl, proto, src, dst, df);
}
export function ip_hlen(p: usize): i32 { return ipHeaderLen(p); }
export function ip_total(p: usize): i32 { return ipTotalLen(p); }
export function ip_proto(p: usize): u32 { return ipProto(p); }
export function ip_src(p: usize): u32 { return ipSrc(p); }
export function ip_dst(p: usize): u32 { return ipDst(p); }
export function ip_ttl(p: usize): u32 { return ipTtl(p); }
export function ip_frag(p: usize): bool { return ipIsFragment(p); }

export function tcp_emit(p: usize, sp: u32, dp: u32, seq: u32, ack: u32, flags: u32, wnd: u32, hlen: i32): void {
  tcpEmit(p, sp, dp, seq, ack, flags, wnd, hlen);
}
export function tcp_sport(p: usize): u32 { return tcpSrcPort(p); }
export function tcp_dport(p: usize): u32 { return tcpDstPort(p); }
export function tcp_seq(p: usize): u32 { return tcpSeq(p); }
export function tcp_ack(p: usize): u32 { return tcpAck(p); }
export function tcp_flags(p: usize): u32 { return tcpFlags(p); }
export function tcp_hlen(p: usize): i32 { return tcpHeaderLen(p); }
export function tcp_wnd(p: usize): u32 { return tcpWindow(p); }

// SYN options: MSS, wscale, SACK-permitted, timestamps; returns the length.
export function opts_emit_syn(p: usize, mss: u32, ws: u32, tsv: u32, tse: u32): i32 {
  let o = emitMss(p, mss);
  o = emitWscale(o, ws);
  o = emitSackPerm(o);
  o = emitTimestamps(o, tsv, tse);
  return <i32>(o - p);
}

// Timestamps and a 2-block SACK option (what a data-bearing ACK carries); returns the length.
export function opts_emit_ack(p: usize, tsv: u32, tse: u32, s0: u32, e0: u32, s1: u32, e1: u32): i32 {
  let o = emitTimestamps(p, tsv, tse);
  o = emitSackHeader(o, 2);
  o = emitSackBlock(o, s0, e0);
  o = emitSackBlock(o, s1, e1);
  return <i32>(o - p);
}
export function opts_parse(p: usize, len: i32): void { parseOptions(p, p + <usize>len); }
export function opt_mss(): u32 { return opts.mss; }
export function opt_wscale(): i32 { return opts.wscale; }
export function opt_sack_ok(): bool { return opts.sackOk; }
export function opt_has_ts(): bool { return opts.hasTs; }
export function opt_tsval(): u32 { return opts.tsVal; }
export function opt_tsecr(): u32 { return opts.tsEcr; }
export function opt_malformed(): bool { return opts.malformed; }
export function opt_sack_count(): i32 { return opts.sackCount; }
export function opt_sack_start(i: i32): u32 { return sackStart(i); }
export function opt_sack_end(i: i32): u32 { return sackEnd(i); }

export function arp_emit(p: usize, oper: u32, sha: usize, spa: u32, tha: usize, tpa: u32): void { arpEmit(p, oper, sha, spa, tha, tpa); }
export function arp_oper(p: usize): u32 { return arpOper(p); }
export function arp_spa(p: usize): u32 { return arpSpa(p); }
export function arp_tpa(p: usize): u32 { return arpTpa(p); }
export function arp_ok(p: usize): bool { return arpIsEthIpv4(p); }
export function eth_emit(f: usize, dst: usize, src: usize, type: u32): void { ethEmit(f, dst, src, type); }
export function eth_type(f: usize): u32 { return ethType(f); }

// SipHash-2-4 reference vector check support: returns the low/high 32 bits.
export function sip_lo(k0: u64, k1: u64, m0: u64, m1: u64): u32 { return <u32>siphash16(k0, k1, m0, m1); }
export function sip_hi(k0: u64, k1: u64, m0: u64, m1: u64): u32 { return <u32>(siphash16(k0, k1, m0, m1) >> 32); }
