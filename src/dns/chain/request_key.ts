/**
 * The key the reply cache and the in-flight sharing file a forwarded question under: everything
 * that can change upstream's answer (type, class, transport, CD bit, EDNS size and DO bit, and the
 * lowercase name). A question asked again gets the same key string back instead of a new one:
 * the keys built lately are kept by the name's slot in the parse table (`Query.nameSlot`) and the
 * parity of its type (so a name's A and AAAA keys do not push each other out). No string is
 * built then, and the Map lookups reuse the hash V8 keeps in the string. The memo is fixed in
 * size (8,192 keys); a name longer than the parse table keeps gets its key built each time.
 *
 * @module
 */

import type { DnsRequest } from "./handler.ts";
import { FLAG } from "../wire/message.ts";
import { NAME_SLOTS, type Query } from "../wire/query.ts";

/**
 * The sharing key of a query, built anew.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery } from "../wire/query.ts";
 * import { sharingKey } from "./request_key.ts";
 * const parsed = parseQuery(new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 68, 66, 0, 0, 1, 0, 1]));
 * assert.ok(parsed.kind === "query");
 * assert.equal(sharingKey({ query: parsed.query, transport: "udp" }), "1/1/udp/0/0/0/db");
 * ```
 */
export function sharingKey(request: Pick<DnsRequest, "query" | "transport">): string {
  const { query } = request;
  return `${query.qtype}/${query.qclass}/${request.transport}/${
    query.flags & FLAG.CD
  }/${query.ednsSize}/${query.dnssecOk ? 1 : 0}/${query.name}`;
}

/** Memo slots: one per parsed-name slot and parity of the query type ({@linkcode keySlotOf}). */
export const KEY_SLOTS = NAME_SLOTS * 2;
/** No parsed name has capitals (they are folded), so this never matches one. */
const NO_NAME = "NO NAME";
/**
 * Slot `at`'s name at `2 * at` and its key at `2 * at + 1`, side by side: a lookup touches one
 * cache line of this array, not one of each of two.
 */
const memoStrings: string[] = Array.from(
  { length: 2 * KEY_SLOTS },
  (_, i) => i & 1 ? "" : NO_NAME,
);
/** Slot `at`'s qtype and qclass (16 bits each) at `2 * at`; its EDNS size, CD, DO, TCP after. */
const memoNumbers = new Uint32Array(2 * KEY_SLOTS);

/**
 * The memo slot of a query's key (0 to {@linkcode KEY_SLOTS} - 1): its name's parse-table slot
 * and the parity of its type; -1 for a name too long for the table. Other keys share a slot, so
 * whatever is kept by slot (the memo, the cache's shortcut) is checked against the key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keySlotOf } from "./request_key.ts";
 * assert.equal(keySlotOf({ nameSlot: 5, qtype: 28 }), 10); // AAAA
 * assert.equal(keySlotOf({ nameSlot: 5, qtype: 1 }), 11); // A
 * assert.equal(keySlotOf({ nameSlot: -1, qtype: 1 }), -1);
 * ```
 */
export function keySlotOf(query: Pick<Query, "nameSlot" | "qtype">): number {
  return query.nameSlot < 0 ? -1 : (query.nameSlot << 1) | (query.qtype & 1);
}

/**
 * The request's {@linkcode sharingKey}, kept on the request for the next handler, and the same
 * string as the last request with this name and these fields got (when the name is still in its
 * parse-table slot, {@linkcode keySlotOf}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery } from "../wire/query.ts";
 * import type { DnsRequest } from "./handler.ts";
 * import { requestKey } from "./request_key.ts";
 * const request = (bytes: number[]): DnsRequest => {
 *   const parsed = parseQuery(new Uint8Array(bytes));
 *   assert.ok(parsed.kind === "query");
 *   return { query: parsed.query, source: "127.0.0.2", transport: "udp", receivedAt: 0 };
 * };
 * const a = request([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * assert.equal(requestKey(a), "1/1/udp/0/0/0/db");
 * assert.equal(a.key, "1/1/udp/0/0/0/db"); // kept for the next handler
 * const cd = request([0, 8, 1, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 2, 68, 66, 0, 0, 1, 0, 1]);
 * assert.equal(requestKey(cd), "1/1/udp/16/0/0/db"); // same name and type, CD set: not the memo's key
 * ```
 */
export function requestKey(request: DnsRequest): string {
  if (request.key !== undefined) return request.key;
  const { query } = request;
  const at = keySlotOf(query);
  if (at < 0) return request.key = sharingKey(request);
  const type = ((query.qtype << 16) | query.qclass) >>> 0;
  const rest = (query.ednsSize << 3) | (query.flags & FLAG.CD ? 4 : 0) |
    (query.dnssecOk ? 2 : 0) | (request.transport === "tcp" ? 1 : 0);
  const i = at << 1;
  if (memoStrings[i] === query.name && memoNumbers[i] === type && memoNumbers[i + 1] === rest) {
    return request.key = memoStrings[i + 1];
  }
  const key = sharingKey(request);
  memoStrings[i] = query.name;
  memoStrings[i + 1] = key;
  memoNumbers[i] = type;
  memoNumbers[i + 1] = rest;
  return request.key = key;
}
