/**
 * Reading a forwarded reply's TTLs for the cache: where each record's TTL field sits, and how
 * long the reply may be kept (docs/dns.md, "Cache"). Positive replies live for their smallest
 * TTL; negative ones (NXDOMAIN, and NOERROR without answers) for their SOA's negative TTL per
 * RFC 2308 section 5 (the smaller of the SOA record's TTL and its MINIMUM field); SERVFAIL,
 * REFUSED, truncated replies and negative replies without an SOA are not kept at all.
 *
 * @module
 */

import { isTruncated, QTYPE, RCODE, rcodeOf, readU16, readU32, writeU32 } from "../wire/message.ts";
import { recordCount, recordEnd, recordFields, skipName, walkRecords } from "../wire/records.ts";

const TYPE_SOA = 6;

/** How long the cache may keep replies (`--cache-max-ttl`, `--cache-negative-ttl`), seconds. */
export interface CacheTtlLimits {
  maxTtl: number;
  negativeTtl: number;
}

/** The offset just past the question section, or -1. */
function questionsEnd(reply: Uint8Array): number {
  let offset = 12;
  for (let i = readU16(reply, 4); i > 0; i--) {
    offset = skipName(reply, offset);
    if (offset < 0 || offset + 4 > reply.length) return -1;
    offset += 4;
  }
  return offset;
}

/** What decides a reply's lifetime: its smallest TTL and its SOA's negative TTL (RFC 2308). */
interface Lifetimes {
  smallestTtl: number;
  soaNegativeTtl?: number;
}

function lifetimes(reply: Uint8Array): Lifetimes | undefined {
  const start = questionsEnd(reply);
  if (start < 0) return undefined;
  const answers = readU16(reply, 6);
  const authorities = readU16(reply, 8);
  const found: Lifetimes = { smallestTtl: Infinity };
  const end = walkRecords(reply, start, (record) => {
    if (record.type === QTYPE.OPT) return; // its "TTL" is the extended rcode and flags
    const ttl = readU32(reply, record.ttlOffset);
    found.smallestTtl = Math.min(found.smallestTtl, ttl);
    const inAuthority = record.index >= answers && record.index < answers + authorities;
    if (record.type !== TYPE_SOA || !inAuthority) return;
    const names = skipName(reply, skipName(reply, record.rdataStart));
    if (names > 0 && names + 20 === record.rdataEnd) {
      found.soaNegativeTtl = Math.min(ttl, readU32(reply, names + 16));
    }
  });
  return end < 0 ? undefined : found;
}

/**
 * Rewrites every record's TTL of `reply` in place (OPT excluded): lowered by `lowerBy` seconds
 * (never below 0), or set to `fixed` when it is given. Used on the cache's copy of a reply as it
 * is answered, so entries keep no offsets; a loop, not {@linkcode walkRecords}, so an answer from
 * the cache allocates no closure. Returns false when the reply cannot be walked (the cache never
 * keeps such a reply).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteTtls } from "./reply_ttl.ts";
 * const reply = new Uint8Array([
 *   0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1,
 *   0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7,
 * ]);
 * assert.equal(rewriteTtls(reply, 100), true);
 * assert.deepEqual([...reply.subarray(26, 30)], [0, 0, 0, 200]);
 * assert.equal(rewriteTtls(reply, 0, 30), true);
 * assert.deepEqual([...reply.subarray(26, 30)], [0, 0, 0, 30]);
 * assert.equal(rewriteTtls(reply.subarray(0, 30), 0), false); // cut inside its record
 * ```
 */
export function rewriteTtls(reply: Uint8Array, lowerBy: number, fixed = -1): boolean {
  let offset = reply.length < 12 ? -1 : questionsEnd(reply);
  if (offset < 0) return false;
  for (let i = recordCount(reply); i > 0; i--) {
    const fields = recordFields(reply, offset);
    if (fields < 0) return false;
    if (readU16(reply, fields) !== QTYPE.OPT) {
      const at = fields + 4;
      writeU32(reply, at, fixed >= 0 ? fixed : Math.max(0, readU32(reply, at) - lowerBy));
    }
    offset = recordEnd(reply, fields);
  }
  return true;
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
  if (reply.length < 12 || isTruncated(reply)) return 0;
  const rcode = rcodeOf(reply);
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) return 0;
  const found = lifetimes(reply);
  if (!found) return 0;
  if (rcode === RCODE.NOERROR && readU16(reply, 6) > 0) {
    return Math.min(limits.maxTtl, found.smallestTtl);
  }
  // negative (NXDOMAIN or NODATA): only with an SOA to say for how long (RFC 2308 section 5)
  if (found.soaNegativeTtl === undefined) return 0;
  return Math.min(limits.negativeTtl, found.soaNegativeTtl);
}
