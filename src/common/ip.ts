/**
 * Canonical text forms of IP addresses, so the same address always has the same key.
 *
 * @module
 */

/**
 * Returns the canonical form of an IPv4 or IPv6 address (IPv6 per RFC 5952: lowercase,
 * leading zeros dropped, the longest run of zero groups as `::`), or `undefined` when the
 * text is not an address. IPv4-mapped IPv6 addresses become plain IPv4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalIp } from "./ip.ts";
 * assert.deepEqual(canonicalIp("FD00:0:0:0:0:0:0:0012"), "fd00::12");
 * assert.deepEqual(canonicalIp("::ffff:127.0.0.2"), "127.0.0.2");
 * assert.deepEqual(canonicalIp("127.000.0.1"), undefined);
 * ```
 */
export function canonicalIp(text: string): string | undefined {
  if (!text.includes(":")) return isIpv4(text) ? text : undefined;
  const groups = ipv6Groups(text);
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  }
  return formatIpv6(groups);
}

function isIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/**
 * Parses an IPv6 address into its eight 16-bit groups.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipv6Groups } from "./ip.ts";
 * assert.deepEqual(ipv6Groups("::1"), [0, 0, 0, 0, 0, 0, 0, 1]);
 * ```
 */
export function ipv6Groups(text: string): number[] | undefined {
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!isIpv4(tail)) return undefined;
    const b = tail.split(".").map(Number);
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    return ipv6Groups(`${text.slice(0, lastColon + 1)}${hex(b[0], b[1])}:${hex(b[2], b[3])}`);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => part === "" ? [] : part.split(":");
  const left = parse(halves[0]);
  const right = halves.length === 2 ? parse(halves[1]) : [];
  if (![...left, ...right].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const zeros = 8 - left.length - right.length;
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) return undefined;
  const numbers = (list: string[]) => list.map((g) => parseInt(g, 16));
  return [...numbers(left), ...new Array(zeros).fill(0), ...numbers(right)];
}

/**
 * Formats eight 16-bit groups as RFC 5952 text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIpv6 } from "./ip.ts";
 * assert.deepEqual(formatIpv6([0xfd00, 0, 0, 0, 0, 0, 0, 0x12]), "fd00::12");
 * ```
 */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLength).join(":");
  return `${left}::${right}`;
}
