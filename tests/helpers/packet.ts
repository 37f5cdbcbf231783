/** dns-packet, the independent reference encoder/decoder of the tests. */
// @ts-types="@types/dns-packet"
import * as packet from "dns-packet";
import { Buffer } from "node:buffer";

export { packet };

/** Encodes a query for `name`/`type` with `id`; `udpSize` adds an OPT record. */
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

/** Decodes any message. */
export function decode(bytes: Uint8Array): DecodedMessage {
  return packet.decode(Buffer.from(bytes)) as unknown as DecodedMessage;
}
