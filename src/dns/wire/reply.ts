/**
 * Every reply this server builds itself, in one place: answers from the index (`buildResponse`,
 * within the client's size), SERVFAIL, and the header-only NOTIMP/FORMERR rejections.
 *
 * @module
 */

import { allocateBytes } from "./byte_slab.ts";
import {
  CLASS_IN,
  copyQuestion,
  FLAG,
  QTYPE,
  RCODE,
  type Transport,
  writeU16,
  writeU32,
} from "./message.ts";
import type { Query } from "./query.ts";

/** Largest UDP answer we build for an EDNS client (RFC 9715 / DNS flag day 2020). */
export const MAX_EDNS_UDP_SIZE = 1232;
/** UDP answer size for a client without EDNS. */
export const CLASSIC_UDP_SIZE = 512;

/** One answer record's type and data; its owner name is always the question's. */
export interface AnswerRecord {
  type: number;
  data: Uint8Array;
}

/**
 * The largest response this server may send for `query` over `transport`: 512 bytes for a UDP
 * client without EDNS, its OPT size (at most 1232) with EDNS, 65535 over TCP.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery } from "./query.ts";
 * import { responseLimit } from "./reply.ts";
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
 * import { buildResponse } from "./reply.ts";
 * import { parseQuery } from "./query.ts";
 * import { QTYPE, RCODE } from "./message.ts";
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
  const out = allocateBytes(size);
  let flags = FLAG.QR | (query.flags & (FLAG.OPCODE_MASK | FLAG.RD)) | FLAG.RA | rcode;
  if (options.authoritative) flags |= FLAG.AA;
  if (fitting < answers.length) flags |= FLAG.TC;
  // written byte by byte: a DataView per response cost as much as the rest of the writing
  writeU16(out, 0, query.id);
  writeU16(out, 2, flags);
  out[5] = 1; // QDCOUNT (the slab's bytes are zero: counts' high bytes stay 0 unless written)
  writeU16(out, 6, fitting);
  out[11] = opt ? 1 : 0;
  copyQuestion(query.raw, out, query.questionEnd);
  let offset = query.questionEnd;
  const { ttl } = options;
  for (let i = 0; i < fitting; i++) {
    const { type, data } = answers[i];
    writeU16(out, offset, 0xc00c); // pointer to the question's name
    writeU16(out, offset + 2, type);
    writeU16(out, offset + 4, CLASS_IN);
    writeU32(out, offset + 6, ttl);
    writeU16(out, offset + 10, data.length);
    for (let j = 0; j < data.length; j++) out[offset + 12 + j] = data[j];
    offset += 12 + data.length;
  }
  if (opt) {
    // root name, type OPT, class = our UDP payload size, extended rcode/version/flags 0, no data
    writeU16(out, offset + 1, QTYPE.OPT);
    writeU16(out, offset + 3, MAX_EDNS_UDP_SIZE);
  }
  return out;
}

/**
 * SERVFAIL for a request, question echoed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverFailure } from "./reply.ts";
 * import { parseQuery } from "./query.ts";
 * const parsed = parseQuery(new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 * assert.ok(parsed.kind === "query");
 * const reply = serverFailure({ query: parsed.query, transport: "udp" });
 * assert.equal(reply[3] & 0x0f, 2); // SERVFAIL, the question echoed
 * ```
 */
export function serverFailure(request: { query: Query; transport: Transport }): Uint8Array {
  return buildResponse(request.query, RCODE.SERVFAIL, [], {
    ttl: 0,
    authoritative: false,
    limit: responseLimit(request.query, request.transport),
  });
}
