/**
 * The DNS message header and the few fields read on the hot path: record types, response codes,
 * flag bits, the ID, and whether a reply carries a query's question. Nothing here allocates.
 *
 * @module
 */

/** Resource record types this server cares about. */
export const QTYPE = { A: 1, PTR: 12, AAAA: 28, OPT: 41 } as const;
/** Response codes. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
/** The Internet class. */
export const CLASS_IN = 1;

export const FLAG = {
  QR: 0x8000,
  OPCODE_MASK: 0x7800,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  CD: 0x0010,
} as const;

/** How a message travels: the transport decides a reply's size limit and how it is forwarded. */
export type Transport = "udp" | "tcp";

/**
 * Reads a big-endian 16-bit number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readU16 } from "./message.ts";
 * assert.deepEqual(readU16(new Uint8Array([0x12, 0x34]), 0), 0x1234);
 * ```
 */
export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

/**
 * The rcode, the number of answer records and the TC bit of a response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseSummary } from "./message.ts";
 * const reply = new Uint8Array([0, 1, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0]);
 * assert.deepEqual(responseSummary(reply), { rcode: 3, answers: 0, truncated: false });
 * ```
 */
export function responseSummary(
  bytes: Uint8Array,
): { rcode: number; answers: number; truncated: boolean } {
  return { rcode: bytes[3] & 0x0f, answers: readU16(bytes, 6), truncated: (bytes[2] & 0x02) !== 0 };
}

/**
 * Whether `reply` carries the same question as `query` (names compared case-insensitively).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameQuestion } from "./message.ts";
 * const query = new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * const reply = query.slice();
 * reply[13] = 68; // "Db": names compare without case
 * assert.deepEqual(sameQuestion(query, query.length, reply), true);
 * ```
 */
export function sameQuestion(query: Uint8Array, questionEnd: number, reply: Uint8Array): boolean {
  if (reply.length < questionEnd || readU16(reply, 4) !== 1) return false;
  for (let i = 12; i < questionEnd; i++) {
    let a = query[i];
    let b = reply[i];
    if (a !== b) {
      if (a >= 65 && a <= 90) a += 32;
      if (b >= 65 && b <= 90) b += 32;
      if (a !== b) return false;
    }
  }
  return true;
}

/**
 * Writes a 16-bit message id in place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readU16, setId } from "./message.ts";
 * const message = new Uint8Array(12);
 * setId(message, 4242);
 * assert.deepEqual(readU16(message, 0), 4242);
 * ```
 */
export function setId(message: Uint8Array, id: number): void {
  message[0] = id >> 8;
  message[1] = id & 255;
}

/**
 * Skips a possibly compressed name at `offset`; the offset just after it, or -1 when it runs off
 * the end or uses a reserved label type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { skipName } from "./message.ts";
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
 * import { walkRecords } from "./message.ts";
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
 * import { recordCount } from "./message.ts";
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
 * import { recordEnd, recordFields } from "./message.ts";
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
 * import { recordEnd } from "./message.ts";
 * assert.equal(recordEnd(new Uint8Array([0, 41, 4, 208, 0, 0, 0, 0, 0, 0]), 0), 10); // an empty OPT
 * ```
 */
export function recordEnd(bytes: Uint8Array, fields: number): number {
  return fields + 10 + readU16(bytes, fields + 8);
}

/**
 * A reply of a header only, with `rcode`: for messages that have no usable question (NOTIMP,
 * FORMERR). The ID, opcode and RD bit are the message's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerOnlyReply } from "./message.ts";
 * const reply = headerOnlyReply(new Uint8Array([0, 9, 0x29, 0, 0, 1, 0, 0, 0, 0, 0, 0]), 4);
 * assert.deepEqual([...reply.subarray(0, 4)], [0, 9, 0xa9, 4]); // QR, opcode 5 and RD kept, NOTIMP
 * assert.equal(reply.length, 12);
 * ```
 */
export function headerOnlyReply(message: Uint8Array, rcode: number): Uint8Array {
  const reply = new Uint8Array(12);
  reply[0] = message[0];
  reply[1] = message[1];
  const flags = FLAG.QR | (readU16(message, 2) & (FLAG.OPCODE_MASK | FLAG.RD)) | rcode;
  reply[2] = flags >> 8;
  reply[3] = flags & 255;
  return reply;
}
