/**
 * dns-packet, the independent reference encoder/decoder of the tests: every reply the server
 * makes must decode with it.
 *
 * @module
 */
// @ts-types="@types/dns-packet"
import * as packet from "dns-packet";
import { Buffer } from "node:buffer";

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
