/**
 * The DNS message header and the few fields read on the hot path: record types, response codes,
 * flag bits, the ID, and whether a reply carries a query's question; the big-endian readers and
 * writers every part of the wire format uses. Nothing here allocates but `responseSummary`'s
 * object and `headerOnlyReply`'s reply. Walking records is `records.ts`.
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
 * Reads a big-endian 32-bit unsigned number (a TTL).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readU32 } from "./message.ts";
 * assert.equal(readU32(new Uint8Array([0xff, 0, 1, 44]), 0), 0xff00012c);
 * ```
 */
export function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) >>> 0) + (bytes[offset + 1] << 16) + (bytes[offset + 2] << 8) +
    bytes[offset + 3];
}

/**
 * Writes a big-endian 16-bit number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeU16 } from "./message.ts";
 * const bytes = new Uint8Array(3);
 * writeU16(bytes, 1, 0x1234);
 * assert.deepEqual([...bytes], [0, 0x12, 0x34]);
 * ```
 */
export function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >> 8;
  bytes[offset + 1] = value & 0xff;
}

/**
 * Writes a big-endian 32-bit unsigned number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeU32 } from "./message.ts";
 * const bytes = new Uint8Array(4);
 * writeU32(bytes, 0, 0xff00012c);
 * assert.deepEqual([...bytes], [0xff, 0, 1, 44]);
 * ```
 */
export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/**
 * The response code in a message's header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rcodeOf, RCODE } from "./message.ts";
 * assert.equal(rcodeOf(new Uint8Array([0, 1, 0x81, 0x83])), RCODE.NXDOMAIN);
 * ```
 */
export function rcodeOf(message: Uint8Array): number {
  return message[3] & 0x0f;
}

/**
 * Whether a message's TC bit is set (truncated: the client should ask again over TCP).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTruncated } from "./message.ts";
 * assert.equal(isTruncated(new Uint8Array([0, 1, 0x83, 0x80])), true);
 * assert.equal(isTruncated(new Uint8Array([0, 1, 0x81, 0x80])), false);
 * ```
 */
export function isTruncated(message: Uint8Array): boolean {
  return (message[2] & (FLAG.TC >> 8)) !== 0;
}

/**
 * Whether a message's QR bit is set: a response, not a query.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isResponse } from "./message.ts";
 * assert.equal(isResponse(new Uint8Array([0, 1, 0x81, 0x80])), true);
 * assert.equal(isResponse(new Uint8Array([0, 1, 0x01, 0x00])), false); // a query
 * ```
 */
export function isResponse(message: Uint8Array): boolean {
  return (message[2] & (FLAG.QR >> 8)) !== 0;
}

/**
 * Copies the question section, bytes 12 to `questionEnd`, of `from` into `to` (a reply built for
 * `from`'s query keeps the client's case). A loop: for a question of a few dozen bytes it is
 * quicker than a `subarray` and `set`, and makes no view.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyQuestion } from "./message.ts";
 * const query = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 68, 66, 0, 0, 1, 0, 1]);
 * const reply = new Uint8Array(20);
 * copyQuestion(query, reply, 20);
 * assert.deepEqual([...reply.subarray(12)], [2, 68, 66, 0, 0, 1, 0, 1]);
 * ```
 */
export function copyQuestion(from: Uint8Array, to: Uint8Array, questionEnd: number): void {
  for (let i = 12; i < questionEnd; i++) to[i] = from[i];
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
  return { rcode: rcodeOf(bytes), answers: readU16(bytes, 6), truncated: isTruncated(bytes) };
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
  writeU16(message, 0, id);
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
  writeU16(reply, 2, FLAG.QR | (readU16(message, 2) & (FLAG.OPCODE_MASK | FLAG.RD)) | rcode);
  return reply;
}
