// Counters readable through stats_get(id): what an operator reads in `netstat -s`.
export const enum Stat {
  eth_in = 0, eth_drop,         // frames in; frames dropped (bad length, unknown type, not for us)
  eth_out,
  arp_in, arp_out, arp_spoof_ignored, arp_queue_drop,
  ip_in, ip_hdr_err, ip_csum_err, ip_frag_drop, ip_proto_unknown, ip_ttl_zero, ip_addr_drop, ip_out,
  icmp_in, icmp_echo_replied, icmp_unreach_in, icmp_out,
  tcp_in, tcp_csum_err, tcp_hdr_err, tcp_out, tcp_rst_out, tcp_rst_in,
  tcp_retrans, tcp_fast_retrans, tcp_timeouts, tcp_sack_recoveries,
  tcp_active_opens, tcp_passive_opens, tcp_attempt_fails, tcp_estab_resets,
  syncookies_sent, syncookies_recv, syncookies_failed,
  listen_overflows, listen_drops, syn_queue_full, synack_retrans,
  tw_recycled, tw_bucket_overflow, tw_reuse,
  pcb_recycled, challenge_acks, challenge_ack_limited,
  ooo_in, ooo_drop, paws_reject, window_drop, ack_unsent_drop,
  keepalive_probes, keepalive_timeouts, fin_wait2_timeouts,
  pool_fail_pcb, pool_fail_block, pool_fail_socket,
  trace_lost, rx_malformed,
  udp_in, udp_out, udp_hdr_err, udp_csum_err, udp_no_port, udp_rcvbuf_drop,
  dhcp_in, dhcp_out, dhcp_bound, dhcp_renewed, dhcp_nak, dhcp_expired, dhcp_conflicts,
  dns_queries, dns_cache_hits, dns_timeouts, dns_bad_reply,
  tcp_loss_probes, tcp_rack_reo_timeouts,
  icmp_rate_limited, icmp_echo_dropped, arp_rate_limited, ip_martian_src,
  ip_reass_ok, ip_reass_fail, ip_reass_overlap, ip_reass_timeout,
  ooo_pruned, listen_no_pcb,
  igmp_in, igmp_out, igmp_bad, mcast_filtered,
  tcp_dsack_undo,               // recoveries undone: every retransmission came back as a D-SACK
  COUNT,
}

const counters: usize = memory.data(Stat.COUNT * 4);

// Not @inline: a call is 3 bytes at each of ~200 sites, the increment itself about 12.
export function count(id: Stat): void {
  const p = counters + (<usize>id << 2);
  store<u32>(p, load<u32>(p) + 1);
}

export function statGet(id: i32): u32 {
  return load<u32>(counters + (<usize>id << 2));
}

export function statsReset(): void {
  memory.fill(counters, 0, Stat.COUNT * 4);
}
