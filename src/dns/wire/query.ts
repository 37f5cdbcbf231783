/**
 * Reading an incoming query by hand on the hot path: the header, the one question, the client's
 * EDNS(0) payload size and DO bit, and the bad-packet rules of docs/dns.md. Forwarded messages are
 * never decoded beyond their header and question.
 *
 * @module
 */

import { FLAG, headerOnlyReply, QTYPE, RCODE, readU16 } from "./message.ts";
import { recordCount, recordEnd, recordFields } from "./records.ts";

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
  /**
   * The slot of the parse's name table that holds `name` (below {@linkcode NAME_SLOTS}), or -1 for
   * a name too long to be kept. Another name may take the slot later: things memoized by slot must
   * check the name too.
   */
  nameSlot: number;
}

/** What to do with an incoming message. */
export type Parsed =
  | { kind: "query"; query: Query }
  | { kind: "drop" }
  | { kind: "reject"; response: Uint8Array };

/**
 * Parses an incoming message as a query, applying docs/dns.md's bad-packet rules:
 * unparsable header or QR=1 → drop; opcode ≠ QUERY → NOTIMP; QDCOUNT ≠ 1 or a bad question →
 * FORMERR. `message` must be owned by the caller (it becomes `query.raw`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery } from "./query.ts";
 * const bytes = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * const parsed = parseQuery(bytes);
 * if (parsed.kind === "query") assert.deepEqual(parsed.query.name, "db");
 * ```
 */
export function parseQuery(message: Uint8Array): Parsed {
  if (message.length < 12) return { kind: "drop" };
  const flags = (message[2] << 8) | message[3];
  if (flags & FLAG.QR) return { kind: "drop" };
  if (flags & FLAG.OPCODE_MASK) return reject(message, RCODE.NOTIMP);
  if (readU16(message, 4) !== 1) return reject(message, RCODE.FORMERR);
  const name = readQuestionName(message, 12);
  const end = nameEnd;
  const slot = nameSlot;
  if (name === undefined || end + 4 > message.length) {
    return reject(message, RCODE.FORMERR);
  }
  const questionEnd = end + 4;
  const edns = findEdns(message, questionEnd);
  if (edns < 0) return reject(message, RCODE.FORMERR);
  return {
    kind: "query",
    query: {
      id: readU16(message, 0),
      flags,
      name,
      qtype: readU16(message, end),
      qclass: readU16(message, end + 2),
      questionEnd,
      ednsSize: edns & 0xffff,
      dnssecOk: edns > 0xffff,
      raw: message,
      nameSlot: slot,
    },
  };
}

function reject(message: Uint8Array, rcode: number): Parsed {
  return { kind: "reject", response: headerOnlyReply(message, rcode) };
}

/** The characters of the name being read (255 octets, each escaped at most to two). */
const nameChars = new Uint16Array(512);

/**
 * Names read lately, by a hash of their lowercased wire form: a question asked again gets the
 * same string back, so no new string is built and its hash (for the index's and the cache's Map
 * lookups) is already known. 4,096 slots of 64 wire bytes (256 KiB), two ways per hash (the one
 * used less lately is replaced), so a test suite's names fit and seldom push each other out.
 */
export const NAME_SLOTS = 4096;
/** Names up to this many wire bytes are kept (longer ones are rare, and built each time). */
const SLOT_BYTES = 64;
const slotWire = new Uint8Array(NAME_SLOTS * SLOT_BYTES);
const slotLength = new Uint16Array(NAME_SLOTS);
const slotName: string[] = new Array(NAME_SLOTS).fill("");
/** Per pair of slots: which of the two to replace next (the one not read last). */
const pairVictim = new Uint8Array(NAME_SLOTS / 2);

/** Where the last name read by {@linkcode readQuestionName} ended (no object per read). */
let nameEnd = 0;
/** The slot that holds the last name read, or -1 when it was too long to keep. */
let nameSlot = -1;

/** `c` lowercased when it is an ASCII capital. */
function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** The question's name (lowercase, escaped), `undefined` when malformed; its end in `nameEnd`. */
function readQuestionName(bytes: Uint8Array, start: number): string | undefined {
  let offset = start;
  let hash = 0;
  for (;;) {
    if (offset >= bytes.length) return undefined;
    const length = bytes[offset];
    if (length === 0) break;
    if (length > 63) return undefined; // compression pointers make no sense in a question
    if (offset + length + 2 - start > 255 || offset + length >= bytes.length) return undefined;
    hash = (hash * 31 + length) | 0;
    for (let i = offset + 1; i <= offset + length; i++) hash = (hash * 31 + fold(bytes[i])) | 0;
    offset += length + 1;
  }
  nameEnd = offset + 1;
  const wireLength = nameEnd - start;
  const pair = (hash ^ (hash >>> 8) ^ (hash >>> 16)) & (NAME_SLOTS / 2 - 1);
  for (let way = 0; way < 2; way++) {
    const slot = pair * 2 + way;
    if (slotLength[slot] !== wireLength) continue;
    const at = slot * SLOT_BYTES;
    let i = 0;
    while (i < wireLength && slotWire[at + i] === fold(bytes[start + i])) i++;
    if (i === wireLength) {
      pairVictim[pair] = way ^ 1;
      nameSlot = slot;
      return slotName[slot];
    }
  }
  const name = buildName(bytes, start);
  if (wireLength > SLOT_BYTES) {
    nameSlot = -1;
    return name;
  }
  const way = pairVictim[pair];
  const slot = pair * 2 + way;
  const at = slot * SLOT_BYTES;
  pairVictim[pair] = way ^ 1;
  nameSlot = slot;
  for (let i = 0; i < wireLength; i++) slotWire[at + i] = fold(bytes[start + i]);
  slotLength[slot] = wireLength;
  slotName[slot] = name;
  return name;
}

/** The text of a well-formed wire name: lowercase, dots between labels, `\.` and `\\` escaped. */
function buildName(bytes: Uint8Array, offset: number): string {
  let chars = 0;
  for (;;) {
    const length = bytes[offset++];
    if (length === 0) break;
    if (chars > 0) nameChars[chars++] = 46;
    for (let i = offset; i < offset + length; i++) {
      const c = fold(bytes[i]);
      if (c === 46 || c === 92) nameChars[chars++] = 92; // "\." and "\\" for a dot or backslash in a label
      nameChars[chars++] = c;
    }
    offset += length;
  }
  // one flat string, built once from the collected characters
  return String.fromCharCode.apply(null, nameChars.subarray(0, chars) as never);
}

/**
 * Walks the answer, authority and additional sections: the OPT record's UDP size (0 without
 * one) in the low 16 bits, 0x10000 added when its DO bit is set; -1 when the sections are bad.
 */
function findEdns(bytes: Uint8Array, offset: number): number {
  // no answer, authority or additional records (most stub resolvers send none): nothing to walk
  if ((bytes[6] | bytes[7] | bytes[8] | bytes[9] | bytes[10] | bytes[11]) === 0) return 0;
  let edns = 0;
  for (let i = recordCount(bytes); i > 0; i--) { // a loop, not walkRecords: no closure per query
    const fields = recordFields(bytes, offset);
    if (fields < 0) return -1;
    if (readU16(bytes, fields) === QTYPE.OPT) {
      const size = readU16(bytes, fields + 2); // OPT's class field is the UDP size
      edns = Math.max(size, 512 /* the classic UDP size */) |
        (bytes[fields + 6] & 0x80 ? 0x10000 : 0); // the DO bit
    }
    offset = recordEnd(bytes, fields);
  }
  return edns;
}
