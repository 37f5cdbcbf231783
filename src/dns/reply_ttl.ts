/**
 * Reading a forwarded reply's TTLs for the cache: where each record's TTL field sits, and how
 * long the reply may be kept (docs/dns.md, "Cache"). Positive replies live for their smallest
 * TTL; negative ones (NXDOMAIN, and NOERROR without answers) for their SOA's negative TTL per
 * RFC 2308 section 5 (the smaller of the SOA record's TTL and its MINIMUM field); SERVFAIL,
 * REFUSED, truncated replies and negative replies without an SOA are not kept at all.
 *
 * @module
 */

import { QTYPE, RCODE, readU16, skipName } from "./message.ts";

const TYPE_SOA = 6;

/** The TTL fields of a reply: offsets of every record's TTL (OPT excluded) and their values. */
export interface ReplyTtls {
  /** Byte offsets of the 32-bit TTL fields, in message order. */
  offsets: number[];
  /** The TTL values as received, in seconds, same order. */
  ttls: number[];
  /** Answer records. */
  answers: number;
  /** The negative TTL of the authority section's SOA (RFC 2308), if it has one. */
  soaNegativeTtl?: number;
}

/** How long the cache may keep replies (`--cache-max-ttl`, `--cache-negative-ttl`), seconds. */
export interface CacheTtlLimits {
  maxTtl: number;
  negativeTtl: number;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) >>> 0) + (bytes[offset + 1] << 16) + (bytes[offset + 2] << 8) +
    bytes[offset + 3];
}

/**
 * Finds every record's TTL field in a reply; `undefined` when the reply cannot be walked to its
 * end (such a reply is relayed but never cached).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replyTtls } from "./reply_ttl.ts";
 * // "db" A → 192.0.2.7, TTL 300
 * const reply = new Uint8Array([
 *   0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1,
 *   0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7,
 * ]);
 * assert.deepEqual(replyTtls(reply), { offsets: [26], ttls: [300], answers: 1 });
 * ```
 */
export function replyTtls(reply: Uint8Array): ReplyTtls | undefined {
  if (reply.length < 12) return undefined;
  const questions = readU16(reply, 4);
  const answers = readU16(reply, 6);
  const authorities = readU16(reply, 8);
  const records = answers + authorities + readU16(reply, 10);
  let offset = 12;
  for (let i = 0; i < questions; i++) {
    offset = skipName(reply, offset);
    if (offset < 0 || offset + 4 > reply.length) return undefined;
    offset += 4;
  }
  const result: ReplyTtls = { offsets: [], ttls: [], answers };
  for (let i = 0; i < records; i++) {
    offset = skipName(reply, offset);
    if (offset < 0 || offset + 10 > reply.length) return undefined;
    const type = readU16(reply, offset);
    const ttl = readU32(reply, offset + 4);
    const rdataStart = offset + 10;
    const rdataEnd = rdataStart + readU16(reply, offset + 8);
    if (rdataEnd > reply.length) return undefined;
    if (type !== QTYPE.OPT) { // OPT's "TTL" is the extended rcode and flags
      result.offsets.push(offset + 4);
      result.ttls.push(ttl);
    }
    const inAuthority = i >= answers && i < answers + authorities;
    if (type === TYPE_SOA && inAuthority) {
      const names = skipName(reply, skipName(reply, rdataStart));
      if (names > 0 && names + 20 === rdataEnd) {
        result.soaNegativeTtl = Math.min(ttl, readU32(reply, names + 16));
      }
    }
    offset = rdataEnd;
  }
  return result;
}

/**
 * Rewrites every record's TTL of `reply` in place (OPT excluded): `ttl(received)` gives the new
 * value. Used on the cache's copy of a reply as it is answered, so entries keep no offsets.
 * Returns false when the reply cannot be walked (the cache never keeps such a reply).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteTtls } from "./reply_ttl.ts";
 * const reply = new Uint8Array([
 *   0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1,
 *   0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7,
 * ]);
 * assert.equal(rewriteTtls(reply, (ttl) => ttl - 100), true);
 * assert.deepEqual([...reply.subarray(26, 30)], [0, 0, 0, 200]);
 * ```
 */
export function rewriteTtls(reply: Uint8Array, ttl: (received: number) => number): boolean {
  if (reply.length < 12) return false;
  const questions = readU16(reply, 4);
  const records = readU16(reply, 6) + readU16(reply, 8) + readU16(reply, 10);
  let offset = 12;
  for (let i = 0; i < questions; i++) {
    offset = skipName(reply, offset);
    if (offset < 0 || offset + 4 > reply.length) return false;
    offset += 4;
  }
  for (let i = 0; i < records; i++) {
    offset = skipName(reply, offset);
    if (offset < 0 || offset + 10 > reply.length) return false;
    if (readU16(reply, offset) !== QTYPE.OPT) {
      const value = ttl(readU32(reply, offset + 4));
      reply[offset + 4] = value >>> 24;
      reply[offset + 5] = (value >>> 16) & 0xff;
      reply[offset + 6] = (value >>> 8) & 0xff;
      reply[offset + 7] = value & 0xff;
    }
    offset += 10 + readU16(reply, offset + 8);
  }
  return offset <= reply.length;
}

/**
 * How many seconds the cache may keep `reply`; 0 means it is not cached.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheSeconds } from "./reply_ttl.ts";
 * const limits = { maxTtl: 300, negativeTtl: 5 };
 * const header = [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1];
 * const answer = (ttl: number) => [0xc0, 12, 0, 1, 0, 1, 0, 0, ttl >> 8, ttl & 255, 0, 4, 192, 0, 2, 7];
 * assert.equal(cacheSeconds(new Uint8Array([...header, ...answer(60)]), limits), 60);
 * assert.equal(cacheSeconds(new Uint8Array([...header, ...answer(3600)]), limits), 300); // capped
 * assert.equal(cacheSeconds(new Uint8Array([...header, ...answer(0)]), limits), 0); // TTL 0: not kept
 * ```
 */
export function cacheSeconds(reply: Uint8Array, limits: CacheTtlLimits): number {
  if (reply.length < 12 || (reply[2] & 0x02) !== 0) return 0; // truncated
  const rcode = reply[3] & 0x0f;
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) return 0;
  const ttls = replyTtls(reply);
  if (!ttls) return 0;
  if (rcode === RCODE.NOERROR && ttls.answers > 0) {
    return Math.min(limits.maxTtl, ...ttls.ttls);
  }
  // negative (NXDOMAIN or NODATA): only with an SOA to say for how long (RFC 2308 section 5)
  if (ttls.soaNegativeTtl === undefined) return 0;
  return Math.min(limits.negativeTtl, ttls.soaNegativeTtl);
}
