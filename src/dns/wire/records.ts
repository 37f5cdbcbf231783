/**
 * Walking a message's resource records: names skipped (compressed or not), each record's fixed
 * fields and its end, for the parser (EDNS), the cache (TTLs, SOA) and the reply checks.
 *
 * @module
 */

import { readU16 } from "./message.ts";

/**
 * Skips a possibly compressed name at `offset`; the offset just after it, or -1 when it runs off
 * the end or uses a reserved label type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { skipName } from "./records.ts";
 * assert.equal(skipName(new Uint8Array([2, 100, 98, 0, 0, 1]), 0), 4); // "db."
 * assert.equal(skipName(new Uint8Array([0xc0, 12]), 0), 2); // a pointer ends the name
 * assert.equal(skipName(new Uint8Array([5, 100]), 0), -1);
 * ```
 */
export function skipName(bytes: Uint8Array, offset: number): number {
  for (;;) {
    if (!(offset >= 0 && offset < bytes.length)) return -1; // also a -1 passed back in
    const length = bytes[offset];
    if (length === 0) return offset + 1;
    if ((length & 0xc0) === 0xc0) return offset + 2 <= bytes.length ? offset + 2 : -1;
    if (length > 63) return -1;
    offset += length + 1;
  }
}

/** One resource record as {@linkcode walkRecords} shows it (the same object, refilled each time). */
export interface RecordView {
  /** Its position among the answer, authority and additional records (0-based). */
  index: number;
  type: number;
  /** Offset of its 32-bit TTL field. */
  ttlOffset: number;
  rdataStart: number;
  rdataEnd: number;
}

/**
 * Walks the answer, authority and additional records of `bytes` from `offset` (just past the
 * question), calling `visit` with each. Returns the offset past the last one, or -1 when a record
 * runs off the end: the one walk the parser (EDNS), the cache (TTLs, SOA) and replies share.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { walkRecords } from "./records.ts";
 * // "db" A → 192.0.2.7, TTL 300: the answer starts after the 20-byte header + question
 * const reply = new Uint8Array([
 *   0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1,
 *   0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7,
 * ]);
 * const seen: number[][] = [];
 * const end = walkRecords(reply, 20, (r) => seen.push([r.type, r.ttlOffset, r.rdataEnd]));
 * assert.deepEqual(seen, [[1, 26, 36]]);
 * assert.equal(end, 36);
 * assert.equal(walkRecords(reply.subarray(0, 30), 20, () => {}), -1);
 * ```
 */
export function walkRecords(
  bytes: Uint8Array,
  offset: number,
  visit: (record: RecordView) => void,
): number {
  const records = recordCount(bytes);
  const view: RecordView = { index: 0, type: 0, ttlOffset: 0, rdataStart: 0, rdataEnd: 0 };
  for (let i = 0; i < records; i++) {
    const fields = recordFields(bytes, offset);
    if (fields < 0) return -1;
    view.index = i;
    view.type = readU16(bytes, fields);
    view.ttlOffset = fields + 4;
    view.rdataStart = fields + 10;
    view.rdataEnd = recordEnd(bytes, fields);
    visit(view);
    offset = view.rdataEnd;
  }
  return offset;
}

/**
 * How many answer, authority and additional records `bytes` says it has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordCount } from "./records.ts";
 * assert.equal(recordCount(new Uint8Array([0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 1, 0, 1])), 4);
 * ```
 */
export function recordCount(bytes: Uint8Array): number {
  return readU16(bytes, 6) + readU16(bytes, 8) + readU16(bytes, 10);
}

/**
 * Where the record at `offset` has its fixed fields (type, class, TTL, rdata length), just past
 * its name; -1 when the record, rdata included, runs off the end. For the loops on the hot path
 * that walk records without {@linkcode walkRecords}'s callback (no closure per walk); the record
 * ends at {@linkcode recordEnd}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordEnd, recordFields } from "./records.ts";
 * const record = new Uint8Array([0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7]);
 * assert.equal(recordFields(record, 0), 2);
 * assert.equal(recordEnd(record, 2), 16);
 * assert.equal(recordFields(record.subarray(0, 15), 0), -1); // its rdata is cut
 * ```
 */
export function recordFields(bytes: Uint8Array, offset: number): number {
  const fields = skipName(bytes, offset);
  if (fields < 0 || fields + 10 > bytes.length) return -1;
  return recordEnd(bytes, fields) > bytes.length ? -1 : fields;
}

/**
 * The end of the record whose fixed fields are at `fields` (see {@linkcode recordFields}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordEnd } from "./records.ts";
 * assert.equal(recordEnd(new Uint8Array([0, 41, 4, 208, 0, 0, 0, 0, 0, 0]), 0), 10); // an empty OPT
 * ```
 */
export function recordEnd(bytes: Uint8Array, fields: number): number {
  return fields + 10 + readU16(bytes, fields + 8);
}
