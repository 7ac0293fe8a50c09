import { hex } from './format.js';

/** Well-known numbers and the names trace lines and JSON print for them. */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;

const ETHERTYPE_NAMES = new Map<number, string>([
  [ETHERTYPE_IPV4, 'IP4'],
  [ETHERTYPE_ARP, 'ARP'],
  [ETHERTYPE_VLAN, 'VLAN'],
  [ETHERTYPE_IPV6, 'IP6'],
  [ETHERTYPE_QINQ, '802.1AD'],
  [ETHERTYPE_QINQ_OLD, 'VLAN_9100'],
  [0x8847, 'MPLS'],
  [0x8848, 'MPLS_MCAST'],
  [0x8863, 'PPPOE_DISCOVERY'],
  [0x8864, 'PPPOE_SESSION'],
  [0x88cc, 'LLDP'],
  [0x6558, 'TRANSPARENT_BRIDGING'],
]);

/** VPP-style ethertype name ('IP4', 'IP6', 'ARP', 'VLAN') or `0x` hex. */
export function etherTypeName(type: number): string {
  return ETHERTYPE_NAMES.get(type) ?? hex(type, 4);
}

const IP_PROTO_NAMES = new Map<number, string>([
  [0, 'hopopt'],
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipip'],
  [6, 'tcp'],
  [17, 'udp'],
  [41, 'ipv6'],
  [43, 'ipv6-route'],
  [44, 'ipv6-frag'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'icmpv6'],
  [59, 'ipv6-nonxt'],
  [60, 'ipv6-opts'],
  [89, 'ospf'],
  [103, 'pim'],
  [112, 'vrrp'],
  [132, 'sctp'],
]);

/** Lower-case IANA keyword of an IP protocol number ('tcp', 'udp', 'icmpv6'), or its decimal. */
export function ipProtoName(proto: number): string {
  return IP_PROTO_NAMES.get(proto) ?? String(proto);
}

const LINK_TYPE_NAMES = new Map<number, string>([
  [0, 'NULL'],
  [1, 'EN10MB'],
  [12, 'RAW'],
  [14, 'RAW'],
  [101, 'RAW'],
  [108, 'LOOP'],
  [113, 'LINUX_SLL'],
  [228, 'IPV4'],
  [229, 'IPV6'],
  [253, 'NETLINK'],
  [276, 'LINUX_SLL2'],
]);

/** The LINKTYPE_* name of a link type ('EN10MB', 'LINUX_SLL2'), or `LINKTYPE_<n>` when unknown. */
export function linkTypeName(linkType: number): string {
  return LINK_TYPE_NAMES.get(linkType) ?? `LINKTYPE_${linkType}`;
}
