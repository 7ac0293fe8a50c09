import type { IcmpLayer } from './icmp.js';
import type { TcpLayer } from './tcp.js';
import { tcpOptionsText } from './tcp.js';
import { icmpTypeName } from './icmp.js';
import type { VxlanLayer } from './vxlan.js';
import { hex } from './format.js';

/** The L4 part of a tcpdump -n -S line, for the protocols summary.ts renders. */

const TCPDUMP_FLAGS: [number, string][] = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];

/** tcpdump's compact flag string: "S", "S.", "P.", "F.", "none" when no flag is set. */
export function tcpdumpTcpFlags(flags: number): string {
  let text = '';
  for (const [bit, letter] of TCPDUMP_FLAGS) if (flags & bit) text += letter;
  return text || 'none';
}

const SEQ_FLAGS = 0x01 | 0x02 | 0x04;

/**
 * "Flags [S.], seq 1, ack 2, win 3, options [...], length 0" (absolute sequence numbers).
 * The length is what the IP header claims (`claimedEnd`), as tcpdump prints it even when
 * the snaplen cut the payload.
 */
export function tcpdumpTcpText(tcp: TcpLayer, data: Uint8Array, claimedEnd: number): string {
  const parts = [`Flags [${tcpdumpTcpFlags(tcp.flags)}]`];
  if (tcp.headerLength < 20 || tcp.truncated) return `${parts[0]} [|tcp]`;
  const claimed = claimedEnd - tcp.payloadOffset;
  const length = claimed > 0 ? claimed : tcp.payloadEnd - tcp.payloadOffset;
  if (length > 0 || tcp.flags & SEQ_FLAGS)
    parts.push(length > 0 ? `seq ${tcp.seq}:${(tcp.seq + length) >>> 0}` : `seq ${tcp.seq}`);
  if (tcp.flags & 0x10) parts.push(`ack ${tcp.ack}`);
  parts.push(`win ${tcp.window}`);
  if (tcp.flags & 0x20) parts.push(`urg ${tcp.urgentPointer}`);
  if (tcp.optionsLength > 0) parts.push(`options [${tcpOptionsText(tcp, data)}]`);
  parts.push(`length ${length}`);
  return parts.join(', ');
}

/** "ICMP echo request, id 1, seq 2, length 64" / "ICMP6, echo reply, id 1, seq 2, length 64". */
export function tcpdumpIcmpText(icmp: IcmpLayer): string {
  const length = icmp.payloadEnd - icmp.offset;
  const name = icmpTypeName(icmp).replace(/_/g, ' ');
  const ids = icmp.hasId ? `, id ${icmp.id}, seq ${icmp.seq}` : '';
  const label = icmp.kind === 'icmpv6' ? 'ICMP6,' : 'ICMP';
  return `${label} ${name}${ids}, length ${length}`;
}

/** "VXLAN, flags [I] (0x08), vni 100". */
export function tcpdumpVxlanText(vxlan: VxlanLayer): string {
  return `VXLAN, flags [${vxlan.flags & 0x08 ? 'I' : '.'}] (${hex(vxlan.flags, 2)}), vni ${vxlan.vni}`;
}
