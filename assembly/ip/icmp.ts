// ICMP (RFC 792, RFC 1122 §3.2.2): echo replies, protocol-unreachable for unknown protocols, and
// destination-unreachable messages handed to TCP as soft or hard errors.
import { Sysctl, sysctl } from "../config";
import { checksum } from "../core/checksum";
import { get16, put16 } from "../core/bytes";
import { udpIcmpError } from "../udp/udp";
import { count, Stat } from "../stats";
import { tcpIcmpError } from "../tcp/errors";
import {
  ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_HLEN, icmpCode, icmpType,
} from "../wire/icmp";
import { IP_HLEN, PROTO_ICMP, PROTO_TCP, PROTO_UDP, ipDst, ipHeaderLen, ipProto, ipSrc } from "../wire/ipv4";
import { ipOutput, TX_L4 } from "./ip4";
import { MTU } from "../config";
import { rateAllow, BUCKET_BYTES } from "../core/ratelimit";

// An echo reply is one unfragmented datagram, so the largest request answered fills the MTU
// (ping -s 1472); larger ones can only come from a peer with a bigger MTU and are counted.
const MAX_ECHO_LEN: i32 = MTU - IP_HLEN;
const errorBucket: usize = memory.data(BUCKET_BYTES);

export function icmpReset(): void {
  memory.fill(errorBucket, 0, BUCKET_BYTES);
}

export function icmpInput(ip: usize, m: usize, len: i32, toUs: bool): void {
  count(Stat.icmp_in);
  if (len < ICMP_HLEN || checksum(m, len) != 0) { count(Stat.rx_malformed); return; }
  const type = icmpType(m);
  if (type == ICMP_ECHO_REQUEST) {
    // RFC 1122 §3.2.2.6: echo requests to a broadcast address may be ignored; we do.
    if (!toUs || sysctl(Sysctl.icmp_echo_ignore_all) != 0) return;
    if (len <= MAX_ECHO_LEN) sendEchoReply(ip, m, len);
    else count(Stat.icmp_echo_dropped);
  } else if (type == ICMP_DEST_UNREACH) {
    count(Stat.icmp_unreach_in);
    deliverUnreachable(m, len);
  }
}

function sendEchoReply(ip: usize, m: usize, len: i32): void {
  const r = TX_L4;
  memory.copy(r, m, <usize>len);
  store<u8>(r, <u8>ICMP_ECHO_REPLY);
  store<u8>(r + 1, 0);
  store<u16>(r + 2, 0);
  put16(r + 2, checksum(r, len));
  count(Stat.icmp_out);
  count(Stat.icmp_echo_replied);
  ipOutput(PROTO_ICMP, ipSrc(ip), len, false);
}

// The message quotes the offending IP header plus at least 8 bytes of its payload (RFC 792).
function deliverUnreachable(m: usize, len: i32): void {
  const q = m + <usize>ICMP_HLEN;
  const qlen = len - ICMP_HLEN;
  if (qlen < IP_HLEN) return;
  const qhl = ipHeaderLen(q);
  if (qhl < IP_HLEN || qlen < qhl + 8) return;
  const l4 = q + <usize>qhl;
  if (ipProto(q) == PROTO_TCP) tcpIcmpError(q, l4, icmpCode(m));
  else if (ipProto(q) == PROTO_UDP) udpIcmpError(ipDst(q), get16(l4), get16(l4 + 2), icmpCode(m));
}

// Sends destination-unreachable about the datagram at `ip` (header + first 8 bytes quoted), unless
// the error budget is spent: RFC 1812 §4.3.2.8 (Linux icmp_msgs_per_sec / icmp_msgs_burst), so a
// flood to a closed port cannot turn the stack into a reflector or eat its transmit time.
export function icmpSendUnreachable(ip: usize, code: u32): void {
  if (!rateAllow(errorBucket, sysctl(Sysctl.icmp_msgs_per_sec), sysctl(Sysctl.icmp_msgs_burst))) {
    count(Stat.icmp_rate_limited);
    return;
  }
  const hl = ipHeaderLen(ip);
  const quoted = hl + 8;
  const r = TX_L4;
  store<u32>(r, 0);
  store<u32>(r, 0, 4);
  store<u8>(r, <u8>ICMP_DEST_UNREACH);
  store<u8>(r + 1, <u8>code);
  memory.copy(r + <usize>ICMP_HLEN, ip, <usize>quoted);
  put16(r + 2, checksum(r, ICMP_HLEN + quoted));
  count(Stat.icmp_out);
  ipOutput(PROTO_ICMP, ipSrc(ip), ICMP_HLEN + quoted, false);
}
