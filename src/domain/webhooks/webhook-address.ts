import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";

/**
 * WEBHOOK_BLOCK_PRIVATE_ADDRESSES: subscriber URLs must not reach the gateway's own network.
 * Refused: loopback, private (RFC 1918, unique-local IPv6), carrier-grade NAT, link-local (which
 * holds the cloud metadata address 169.254.169.254), unspecified, multicast and reserved ranges,
 * IPv4 addresses written as IPv6 (`::ffff:10.0.0.1`, `::7f00:1`), and the IPv6 ranges that carry
 * or translate IPv4 (NAT64, 6to4) or are deprecated site-local. The check runs inside the connection's own
 * DNS lookup (`guardedLookup`), so the address checked is the address connected to: a name that
 * resolves to a public address for a check and a private one for the request cannot slip through.
 */

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  BLOCKED.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 96],
  ["::ffff:0:0:0", 96],
  ["100::", 64],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["2001:db8::", 32],
  ["2002::", 16],
] as const)
  BLOCKED.addSubnet(net, prefix, "ipv6");

export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, "ipv4");
  if (family !== 6) return true; // not an address: refuse rather than guess
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return BLOCKED.check(mapped[1], "ipv4");
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1], 16);
    const lo = parseInt(hexMapped[2], 16);
    return BLOCKED.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, "ipv4");
  }
  return BLOCKED.check(address, "ipv6");
}

export class BlockedAddressError extends Error {
  readonly code = "EBLOCKEDADDRESS";
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a private or reserved address (WEBHOOK_BLOCK_PRIVATE_ADDRESSES)`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that refuses blocked addresses (all of a name's answers must pass). */
export function guardedLookup(hostname: string, options: { all?: boolean; family?: number } | number, callback: LookupCallback): void {
  const opts = typeof options === "number" ? { family: options } : (options ?? {});
  dnsLookup(hostname, { family: opts.family ?? 0, all: true }, (err, addresses) => {
    if (err) return callback(err, "");
    const list = addresses;
    const bad = list.find((a) => isBlockedAddress(a.address));
    if (bad) return callback(new BlockedAddressError(hostname, bad.address), "");
    if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "");
    if (opts.all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}
