// ICMP errors about our TCP segments (RFC 1122 §4.2.3.9, RFC 5927): protocol and port unreachable
// are hard errors while connecting (the connect fails with ECONNREFUSED); the other codes, and any
// code on an established connection, are soft: remembered and reported only if the connection
// later times out.
import { get16, get32 } from "../core/bytes";
import { seqGeq, seqLt } from "../core/seq";
import { ECONNREFUSED } from "../errors";
import { SYN_SENT } from "../api/constants";
import { ipDst } from "../wire/ipv4";
import { UNREACH_PORT, UNREACH_PROTOCOL } from "../wire/icmp";
import { F_SOFT_ERROR, pcbAt, pcbLookup } from "./pcb";
import { connectionFailed } from "./close";

// `ip` is the quoted IP header of a segment we sent, `tcp` its first 8 TCP bytes.
export function tcpIcmpError(ip: usize, tcp: usize, code: u32): void {
  const i = pcbLookup(ipDst(ip), get16(tcp + 2), get16(tcp));
  if (i < 0) return;
  const p = pcbAt(i);
  // RFC 5927 §4.1: only believe an error that quotes a sequence number we have outstanding.
  const seq = get32(tcp + 4);
  if (seqLt(seq, p.sndUna) || seqGeq(seq, p.sndNxt + 1)) return;
  if (p.state == SYN_SENT && (code == UNREACH_PROTOCOL || code == UNREACH_PORT)) {
    connectionFailed(p, ECONNREFUSED);
    return;
  }
  p.flags |= F_SOFT_ERROR;
}
