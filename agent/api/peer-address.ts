// Which client a per-address cap counts a connection under.
import { isIPv6 } from "node:net";

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * An IPv4 address as is (unwrapped when a dual-stack listener reports it
 * IPv4-mapped), an IPv6 address as its /64 prefix: one host or LAN is usually
 * handed a whole /64, so counting single IPv6 addresses would let one attacker
 * take every slot from 2^64 of them.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped) return mapped[1]!;
  return isIPv6(address) ? `${ipv6Prefix64(address)}::/64` : address;
}

function ipv6Prefix64(address: string): string {
  const bare = address.split("%")[0]!.toLowerCase(); // no zone id (fe80::1%eth0)
  const [head = "", tail] = bare.split("::");
  // A trailing dotted IPv4 part (::1.2.3.4) is two groups.
  const groups = (part: string) => (part === "" ? [] : part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])));
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all = [...first, ...Array<string>(8 - first.length - last.length).fill("0"), ...last];
  return all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":");
}
