// Ethernet input: accept frames for our MAC or broadcast (and, with ASNET_MCAST, our groups' MACs),
// hand IPv4 and ARP on.
import { ETH_HLEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ethType, macCopy, macEquals, macIsBroadcast } from "../wire/ethernet";
import { count, Stat } from "../stats";
import { ipInput } from "../ip/ip4";
import { arpInput } from "./arp_cache";
import { ourMac, rxPeerMac, setRxPeer } from "./netif";
import { MCAST } from "../config";
import { igmpMacAccept } from "../ip/igmp";

export function ethernetInput(f: usize, len: i32): void {
  count(Stat.eth_in);
  if (!macEquals(f, ourMac) && !macIsBroadcast(f) && !(MCAST && igmpMacAccept(f))) { count(Stat.eth_drop); return; }
  const type = ethType(f);
  if (type == ETHERTYPE_IPV4) {
    macCopy(rxPeerMac, f + 6);
    ipInput(f + <usize>ETH_HLEN, len - ETH_HLEN);
    setRxPeer(0);
  } else if (type == ETHERTYPE_ARP) arpInput(f + <usize>ETH_HLEN, len - ETH_HLEN);
  else count(Stat.eth_drop);
}
