/**
 * Record data this server writes itself: addresses, names (which it refuses to write malformed),
 * and the address a reverse-lookup name stands for.
 *
 * @module
 */

import { canonicalIp, ipv6Groups } from "../../common/ip.ts";
import { writeU16 } from "./message.ts";
import { nameEncodingProblem } from "./names.ts";

const addressBytesCache = new Map<string, Uint8Array>();

/**
 * The A or AAAA record data of an IP address (cached).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addressBytes } from "./rdata.ts";
 * assert.deepEqual(addressBytes("127.0.0.2"), new Uint8Array([127, 0, 0, 2]));
 * ```
 */
export function addressBytes(ip: string): Uint8Array {
  let bytes = addressBytesCache.get(ip);
  if (bytes) return bytes;
  if (ip.includes(":")) {
    const groups = ipv6Groups(ip) ?? new Array(8).fill(0);
    const v6 = new Uint8Array(16);
    groups.forEach((g, i) => writeU16(v6, 2 * i, g));
    bytes = v6;
  } else {
    bytes = new Uint8Array(ip.split(".").map(Number));
  }
  if (addressBytesCache.size > 100_000) addressBytesCache.clear();
  addressBytesCache.set(ip, bytes);
  return bytes;
}

/** A name that cannot be written in a DNS message (see {@linkcode nameEncodingProblem}). */
export class NameEncodingError extends RangeError {
  override name = "NameEncodingError";
}

const utf8 = new TextEncoder();

/**
 * Encodes a dotted name (no trailing dot; labels as UTF-8) as wire-format labels. Throws
 * {@linkcode NameEncodingError} rather than write a malformed name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeName, NameEncodingError } from "./rdata.ts";
 * assert.deepEqual(encodeName("db"), new Uint8Array([2, 100, 98, 0]));
 * assert.throws(() => encodeName("x".repeat(64)), NameEncodingError);
 * ```
 */
export function encodeName(name: string): Uint8Array {
  const problem = nameEncodingProblem(name);
  if (problem) throw new NameEncodingError(`cannot encode ${JSON.stringify(name)}: ${problem}`);
  const labels = name.split(".").map((label) => utf8.encode(label));
  const out = new Uint8Array(labels.reduce((n, label) => n + label.length + 1, 1));
  let offset = 0;
  for (const label of labels) {
    out[offset++] = label.length;
    out.set(label, offset);
    offset += label.length;
  }
  return out;
}

/**
 * The IP address a reverse-lookup name stands for (`2.0.0.127.in-addr.arpa` → `127.0.0.2`), or
 * `undefined` when the name is not a complete one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reverseNameToIp } from "./rdata.ts";
 * assert.deepEqual(reverseNameToIp("12.0.0.127.in-addr.arpa"), "127.0.0.12");
 * ```
 */
export function reverseNameToIp(name: string): string | undefined {
  if (name.endsWith(".in-addr.arpa")) {
    const parts = name.slice(0, -".in-addr.arpa".length).split(".");
    return parts.length === 4 ? canonicalIp(parts.reverse().join(".")) : undefined;
  }
  if (name.endsWith(".ip6.arpa")) {
    const nibbles = name.slice(0, -".ip6.arpa".length).split(".");
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join("");
    return canonicalIp(hex.match(/.{4}/g)!.join(":"));
  }
  return undefined;
}
