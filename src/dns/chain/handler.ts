/**
 * The resolution chain, CoreDNS style: each handler gets the request and `next`, the rest of the
 * chain; it answers itself, passes the request on, or wraps what `next` answers. Handlers know
 * nothing of sockets.
 *
 * @module
 */

import { type Query } from "../wire/query.ts";
import { type Transport } from "../wire/message.ts";

/** A parsed query and where it came from. */
export interface DnsRequest {
  query: Query;
  /** Canonical source IP of the client. */
  source: string;
  transport: Transport;
  /** `performance.now()` when the query arrived. */
  receivedAt: number;
  /** How it was answered, set by the handler that answered (for metrics and debug logs). */
  path?: "internal" | "held" | "forwarded" | "cached";
  /** Its cache and sharing key, built once by the first handler that needs it (`requestKey`). */
  key?: string;
}

/** The bytes to send back, or `null` to send nothing. */
export type DnsReply = Uint8Array | null;

/** Something that always answers a request, now or later. */
export type DnsResolver = (request: DnsRequest) => DnsReply | Promise<DnsReply>;

/** One step of the chain: answers, or calls `next` (and may act on what it answers). */
export type DnsHandler = (
  request: DnsRequest,
  next: DnsResolver,
) => DnsReply | Promise<DnsReply>;

const endOfChain: DnsResolver = () => {
  throw new Error("the DNS handler chain ended without an answer");
};

/**
 * Composes handlers into one resolver, the first handler outermost. The last handler must
 * answer without calling `next`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chain, type DnsRequest } from "./handler.ts";
 * const seen: string[] = [];
 * const resolve = chain(
 *   (request, next) => {
 *     seen.push("first");
 *     return next(request);
 *   },
 *   () => new Uint8Array([1]),
 * );
 * assert.deepEqual(resolve({} as DnsRequest), new Uint8Array([1]));
 * assert.deepEqual(seen, ["first"]);
 * ```
 */
export function chain(...handlers: DnsHandler[]): DnsResolver {
  return handlers.reduceRight<DnsResolver>(
    (next, handler) => (request) => handler(request, next),
    endOfChain,
  );
}
