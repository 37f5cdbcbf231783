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
  /**
   * `performance.now()` when the query arrived; {@linkcode NOT_STAMPED} until
   * {@linkcode stampArrival} reads the clock (past the internal answers, which need no clock).
   */
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

/** `receivedAt` of a request whose arrival was not stamped (answered before the stamp). */
export const NOT_STAMPED = -1;

/**
 * Reads the clock for the handlers after it (hold deadlines, cache ages, upstream timing): the
 * internal answers before it are worked out without one (a clock read is an op, ~90 ns, as much
 * as the rest of an internal answer's parsing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NOT_STAMPED, stampArrival, type DnsRequest } from "./handler.ts";
 * const request = { receivedAt: NOT_STAMPED } as DnsRequest;
 * stampArrival(request, (r) => {
 *   assert.ok(r.receivedAt >= 0);
 *   return null;
 * });
 * ```
 */
export const stampArrival: DnsHandler = (request, next) => {
  if (request.receivedAt === NOT_STAMPED) request.receivedAt = performance.now();
  return next(request);
};

/**
 * Seconds from a request's arrival to now; 0 for one never stamped (answered at once, in about a
 * microsecond, without reading the clock).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NOT_STAMPED, secondsSinceArrival, type DnsRequest } from "./handler.ts";
 * assert.equal(secondsSinceArrival({ receivedAt: NOT_STAMPED } as DnsRequest), 0);
 * assert.ok(secondsSinceArrival({ receivedAt: performance.now() - 5 } as DnsRequest) >= 0.005);
 * ```
 */
export function secondsSinceArrival(request: DnsRequest): number {
  return request.receivedAt === NOT_STAMPED ? 0 : (performance.now() - request.receivedAt) / 1000;
}
