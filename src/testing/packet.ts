/**
 * dns-packet, the independent reference encoder/decoder of the tests: every reply the server
 * makes must decode with it.
 *
 * @module
 */
// @ts-types="@types/dns-packet"
import * as packet from "dns-packet";
import { Buffer } from "node:buffer";
import { parseQuery, type Query } from "../dns/wire/query.ts";

export { packet };

/**
 * Encodes a query for `name`/`type` with `id`; `udpSize` adds an OPT record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decode, encodeQuery } from "./packet.ts";
 * const query = decode(encodeQuery("db", "AAAA", 7, 1232));
 * assert.deepEqual([query.id, query.questions[0].type, query.additionals[0].udpPayloadSize], [7, "AAAA", 1232]);
 * ```
 */
export function encodeQuery(name: string, type: string, id = 4242, udpSize?: number): Uint8Array {
  const additionals = udpSize ? [{ type: "OPT", name: ".", udpPayloadSize: udpSize }] : [];
  return new Uint8Array(packet.encode({
    type: "query",
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type: type as packet.RecordType, name, class: "IN" }],
    // deno-lint-ignore no-explicit-any
    additionals: additionals as any,
  }));
}

/** The fields of a decoded message the tests read. */
export interface DecodedMessage {
  id: number;
  rcode: string;
  flags: number;
  flag_aa: boolean;
  flag_tc: boolean;
  flag_rd: boolean;
  flag_ra: boolean;
  questions: { name: string; type: string }[];
  answers: { name: string; type: string; ttl: number; data: unknown }[];
  authorities: { name: string; type: string; ttl?: number; data?: unknown }[];
  additionals: { name: string; type: string; udpPayloadSize?: number }[];
}

/**
 * The SOA record of `example.test` a negative answer carries: its `ttl` and its MINIMUM field
 * decide how long a resolver may keep the answer (RFC 2308).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decode, packet, soaRecord } from "./packet.ts";
 * const bytes = packet.encode({ type: "response", id: 1, authorities: [soaRecord(60, 4)] });
 * const [soa] = decode(new Uint8Array(bytes)).authorities;
 * assert.deepEqual([soa.type, soa.ttl, (soa.data as { minimum: number }).minimum], ["SOA", 60, 4]);
 * ```
 */
export function soaRecord(ttl: number, minimum: number): packet.Answer {
  return {
    type: "SOA",
    name: "example.test",
    ttl,
    data: {
      mname: "ns.example.test",
      rname: "admin.example.test",
      serial: 7,
      refresh: 1,
      retry: 2,
      expire: 3,
      minimum,
    },
  };
}

/**
 * Decodes any message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decode } from "./packet.ts";
 * const reply = decode(new Uint8Array([0, 7, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 * assert.equal(reply.rcode, "NXDOMAIN");
 * ```
 */
export function decode(bytes: Uint8Array): DecodedMessage {
  return packet.decode(Buffer.from(bytes)) as unknown as DecodedMessage;
}

/**
 * The server's own parse of `bytes`, which must be a query it accepts (throws otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeQuery, parsedQuery } from "./packet.ts";
 * assert.equal(parsedQuery(encodeQuery("DB", "A")).name, "db");
 * assert.throws(() => parsedQuery(new Uint8Array(3)), /not a query the server accepts/);
 * ```
 */
export function parsedQuery(bytes: Uint8Array): Query {
  const parsed = parseQuery(bytes);
  if (parsed.kind !== "query") throw new Error(`not a query the server accepts: ${parsed.kind}`);
  return parsed.query;
}
