/**
 * The DNS wire format, read and written by hand on the hot path: the header, the one question
 * of a query, the client's EDNS(0) payload size, and the few answers this server builds itself.
 * Forwarded messages are never decoded beyond their header and question.
 *
 * @module
 */

import { canonicalIp, ipv6Groups } from "../index/ip.ts";
import { nameEncodingProblem } from "./names.ts";

/** Resource record types this server cares about. */
export const QTYPE = { A: 1, PTR: 12, AAAA: 28, OPT: 41 } as const;
/** Response codes. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
/** The Internet class. */
export const CLASS_IN = 1;

/** Header bit masks of the 16-bit flags word. */
const QR = 0x8000;
const OPCODE_MASK = 0x7800;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;

/** Largest UDP answer we build for an EDNS client (RFC 9715 / DNS flag day 2020). */
export const MAX_EDNS_UDP_SIZE = 1232;
/** UDP answer size for a client without EDNS. */
export const CLASSIC_UDP_SIZE = 512;

/** A parsed query. `name` is lowercase without the trailing dot (`""` for the root). */
export interface Query {
  id: number;
  flags: number;
  name: string;
  qtype: number;
  qclass: number;
  /** Offset of the first byte after the question. */
  questionEnd: number;
  /** The client's EDNS(0) UDP payload size; 0 when the query has no OPT record. */
  ednsSize: number;
  /** The DO bit of the client's OPT record (DNSSEC answers wanted). */
  dnssecOk: boolean;
  /** The whole message (owned: safe to keep across awaits). */
  raw: Uint8Array;
}

/** What to do with an incoming message. */
export type Parsed =
  | { kind: "query"; query: Query }
  | { kind: "drop"; reason: string }
  | { kind: "reject"; response: Uint8Array; reason: string };

/**
 * Parses an incoming message as a query, applying docs/dns.md's bad-packet rules:
 * unparsable header or QR=1 → drop; opcode ≠ QUERY → NOTIMP; QDCOUNT ≠ 1 or a bad question →
 * FORMERR. `message` must be owned by the caller (it becomes `query.raw`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery } from "./wire.ts";
 * const bytes = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * const parsed = parseQuery(bytes);
 * if (parsed.kind === "query") assert.deepEqual(parsed.query.name, "db");
 * ```
 */
export function parseQuery(message: Uint8Array): Parsed {
  if (message.length < 12) return { kind: "drop", reason: "short header" };
  const flags = (message[2] << 8) | message[3];
  if (flags & QR) return { kind: "drop", reason: "QR=1" };
  if (flags & OPCODE_MASK) return reject(message, RCODE.NOTIMP, "opcode not QUERY");
  if (readU16(message, 4) !== 1) return reject(message, RCODE.FORMERR, "QDCOUNT not 1");
  const question = readQuestionName(message, 12);
  if (!question || question.end + 4 > message.length) {
    return reject(message, RCODE.FORMERR, "bad question");
  }
  const questionEnd = question.end + 4;
  const edns = findEdns(message, questionEnd);
  if (edns < 0) return reject(message, RCODE.FORMERR, "bad record section");
  return {
    kind: "query",
    query: {
      id: readU16(message, 0),
      flags,
      name: question.name,
      qtype: readU16(message, question.end),
      qclass: readU16(message, question.end + 2),
      questionEnd,
      ednsSize: edns & 0xffff,
      dnssecOk: edns > 0xffff,
      raw: message,
    },
  };
}

/**
 * Reads a big-endian 16-bit number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readU16 } from "./wire.ts";
 * assert.deepEqual(readU16(new Uint8Array([0x12, 0x34]), 0), 0x1234);
 * ```
 */
export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function reject(message: Uint8Array, rcode: number, reason: string): Parsed {
  const response = new Uint8Array(12);
  response[0] = message[0];
  response[1] = message[1];
  const flags = QR | (readU16(message, 2) & (OPCODE_MASK | RD)) | rcode;
  response[2] = flags >> 8;
  response[3] = flags & 255;
  return { kind: "reject", response, reason };
}

/** Reads an uncompressed name; `undefined` when malformed. Labels holding a dot are escaped. */
/** The characters of the name being read (255 octets, each escaped at most to two). */
const nameChars = new Uint16Array(512);

function readQuestionName(
  bytes: Uint8Array,
  offset: number,
): { name: string; end: number } | undefined {
  let chars = 0;
  let wireLength = 1;
  for (;;) {
    if (offset >= bytes.length) return undefined;
    const length = bytes[offset++];
    if (length === 0) {
      // one flat string built once: faster than concatenating character by character
      const name = String.fromCharCode.apply(null, nameChars.subarray(0, chars) as never);
      return { name, end: offset };
    }
    if (length > 63) return undefined; // compression pointers make no sense in a question
    wireLength += length + 1;
    if (wireLength > 255 || offset + length > bytes.length) return undefined;
    if (chars > 0) nameChars[chars++] = 46;
    for (let i = offset; i < offset + length; i++) {
      let c = bytes[i];
      if (c >= 65 && c <= 90) c += 32;
      if (c === 46 || c === 92) nameChars[chars++] = 92; // "\." and "\\" for a dot or backslash in a label
      nameChars[chars++] = c;
    }
    offset += length;
  }
}

/** Skips a possibly compressed name; returns the offset after it, or -1. */
function skipName(bytes: Uint8Array, offset: number): number {
  for (;;) {
    if (offset >= bytes.length) return -1;
    const length = bytes[offset];
    if (length === 0) return offset + 1;
    if ((length & 0xc0) === 0xc0) return offset + 2 <= bytes.length ? offset + 2 : -1;
    if (length > 63) return -1;
    offset += length + 1;
  }
}

/**
 * Walks the answer, authority and additional sections: the OPT record's UDP size (0 without
 * one) in the low 16 bits, 0x10000 added when its DO bit is set; -1 when the sections are bad.
 */
function findEdns(bytes: Uint8Array, offset: number): number {
  const records = readU16(bytes, 6) + readU16(bytes, 8) + readU16(bytes, 10);
  let edns = 0;
  for (let i = 0; i < records; i++) {
    offset = skipName(bytes, offset);
    if (offset < 0 || offset + 10 > bytes.length) return -1;
    const type = readU16(bytes, offset);
    if (type === QTYPE.OPT) {
      edns = Math.max(readU16(bytes, offset + 2), CLASSIC_UDP_SIZE) |
        (bytes[offset + 6] & 0x80 ? 0x10000 : 0);
    }
    offset += 10 + readU16(bytes, offset + 8);
    if (offset > bytes.length) return -1;
  }
  return edns;
}

/**
 * The rcode, the number of answer records and the TC bit of a response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseSummary } from "./wire.ts";
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
 * import { sameQuestion } from "./wire.ts";
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
 * import { readU16, setId } from "./wire.ts";
 * const message = new Uint8Array(12);
 * setId(message, 4242);
 * assert.deepEqual(readU16(message, 0), 4242);
 * ```
 */
export function setId(message: Uint8Array, id: number): void {
  message[0] = id >> 8;
  message[1] = id & 255;
}

/** One answer record's type and data; its owner name is always the question's. */
export interface AnswerRecord {
  type: number;
  data: Uint8Array;
}

/** How a response must be limited: the transport decides the size. */
export type Transport = "udp" | "tcp";

/**
 * The largest response this server may send for `query` over `transport`: 512 bytes for a UDP
 * client without EDNS, its OPT size (at most 1232) with EDNS, 65535 over TCP.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery, responseLimit } from "./wire.ts";
 * const parsed = parseQuery(new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 * if (parsed.kind === "query") assert.deepEqual(responseLimit(parsed.query, "udp"), 512); // no EDNS
 * ```
 */
export function responseLimit(query: Query, transport: Transport): number {
  if (transport === "tcp") return 65535;
  return query.ednsSize === 0 ? CLASSIC_UDP_SIZE : Math.min(query.ednsSize, MAX_EDNS_UDP_SIZE);
}

const OPT_RECORD_SIZE = 11;

/**
 * Builds a response to `query` with the question echoed and `answers` owned by the question's
 * name. `authoritative` sets AA. Answers that do not fit `limit` are left out and TC is set.
 * An OPT record (payload size 1232) is added when the query had one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildResponse, parseQuery, QTYPE, RCODE } from "./wire.ts";
 * const parsed = parseQuery(new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 * assert.ok(parsed.kind === "query");
 * const reply = buildResponse(parsed.query, RCODE.NOERROR, [{ type: QTYPE.A, data: new Uint8Array([127, 0, 0, 2]) }], { ttl: 10, authoritative: true, limit: 512 });
 * assert.deepEqual([...reply.subarray(0, 8)], [0, 7, 0x85, 0x80, 0, 1, 0, 1]); // ID, QR AA RD RA, 1 question, 1 answer
 * assert.deepEqual([...reply.subarray(-4)], [127, 0, 0, 2]);
 * ```
 */
export function buildResponse(
  query: Query,
  rcode: number,
  answers: readonly AnswerRecord[],
  options: { ttl: number; authoritative: boolean; limit: number },
): Uint8Array {
  const questionLength = query.questionEnd - 12;
  const opt = query.ednsSize > 0 ? OPT_RECORD_SIZE : 0;
  let size = 12 + questionLength + opt;
  let fitting = 0;
  for (const answer of answers) {
    const next = size + 12 + answer.data.length;
    if (next > options.limit) break;
    size = next;
    fitting++;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let flags = QR | (query.flags & (OPCODE_MASK | RD)) | RA | rcode;
  if (options.authoritative) flags |= AA;
  if (fitting < answers.length) flags |= TC;
  view.setUint16(0, query.id);
  view.setUint16(2, flags);
  view.setUint16(4, 1);
  view.setUint16(6, fitting);
  view.setUint16(10, opt ? 1 : 0);
  out.set(query.raw.subarray(12, query.questionEnd), 12);
  let offset = query.questionEnd;
  for (let i = 0; i < fitting; i++) {
    const { type, data } = answers[i];
    view.setUint16(offset, 0xc00c); // pointer to the question's name
    view.setUint16(offset + 2, type);
    view.setUint16(offset + 4, CLASS_IN);
    view.setUint32(offset + 6, options.ttl);
    view.setUint16(offset + 10, data.length);
    out.set(data, offset + 12);
    offset += 12 + data.length;
  }
  if (opt) {
    // root name, type OPT, class = our UDP payload size, extended rcode/version/flags 0, no data
    view.setUint16(offset + 1, QTYPE.OPT);
    view.setUint16(offset + 3, MAX_EDNS_UDP_SIZE);
  }
  return out;
}

const addressBytesCache = new Map<string, Uint8Array>();

/**
 * The A or AAAA record data of an IP address (cached).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addressBytes } from "./wire.ts";
 * assert.deepEqual(addressBytes("127.0.0.2"), new Uint8Array([127, 0, 0, 2]));
 * ```
 */
export function addressBytes(ip: string): Uint8Array {
  let bytes = addressBytesCache.get(ip);
  if (bytes) return bytes;
  if (ip.includes(":")) {
    const groups = ipv6Groups(ip) ?? new Array(8).fill(0);
    bytes = new Uint8Array(16);
    groups.forEach((g, i) => {
      bytes![2 * i] = g >> 8;
      bytes![2 * i + 1] = g & 255;
    });
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
 * import { encodeName, NameEncodingError } from "./wire.ts";
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
 * import { reverseNameToIp } from "./wire.ts";
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
