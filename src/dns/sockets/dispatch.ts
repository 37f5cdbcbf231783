/**
 * From raw message to reply: parse, apply the bad-packet rules, run the handler chain.
 * Shared by the UDP and TCP servers.
 *
 * @module
 */

import { canonicalIp } from "../../common/ip.ts";
import {
  type DnsReply,
  type DnsRequest,
  type DnsResolver,
  NOT_STAMPED,
  secondsSinceArrival,
} from "../chain/handler.ts";
import { parseQuery } from "../wire/query.ts";
import { type Transport } from "../wire/message.ts";

/**
 * Told of every answered query, once its reply is known (metrics, debug logs), with the seconds
 * from its arrival: 0 for a reply worked out at once (about a microsecond, not worth a clock read).
 */
export type QueryObserver = (request: DnsRequest, reply: DnsReply, seconds: number) => void;

/** Counts of messages refused before the chain. */
export interface DispatchStats {
  dropped: number;
  rejected: number;
}

/** What dispatching needs, fixed for one listening socket. */
export interface DispatchContext {
  resolve: DnsResolver;
  stats: DispatchStats;
  transport: Transport;
  observe?: QueryObserver;
}

/**
 * Turns one message (owned by the caller) into the reply to send: `null` to send nothing, or a
 * promise for either when the chain waits on upstream or a hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dispatch } from "./dispatch.ts";
 * const context = { resolve: () => null, stats: { dropped: 0, rejected: 0 }, transport: "udp" as const };
 * assert.equal(dispatch(context, new Uint8Array(3), "127.0.0.2"), null); // too short: dropped
 * assert.equal(context.stats.dropped, 1);
 * const query = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * const answer = new Uint8Array([1, 2]);
 * const failing = {
 *   ...context,
 *   resolve: () => Promise.resolve(answer),
 *   observe: () => { throw new Error("a metric broke"); },
 * };
 * assert.equal(await dispatch(failing, query, "127.0.0.2"), answer); // counting never costs the reply
 * ```
 */
export function dispatch(
  context: DispatchContext,
  message: Uint8Array,
  sourceIp: string,
): DnsReply | Promise<DnsReply> {
  const request = admit(context, message, sourceIp);
  if (request === null || request instanceof Uint8Array) return request;
  const reply = context.resolve(request);
  if (reply instanceof Promise) {
    return reply.then((bytes) => {
      observeLater(context, request, bytes);
      return bytes;
    });
  }
  context.observe?.(request, reply, 0);
  return reply;
}

/**
 * As {@linkcode dispatch}, for a socket that sends a later reply itself (the UDP loop): a reply
 * known at once is returned; one that comes later is observed and handed to `later` with `target`
 * in one `then`, and `undefined` is returned (`failed` is told when the chain rejects). One
 * promise layer less per forwarded query than `dispatch` and a `then` of the caller's: a query
 * upstream keeps a promise, a reaction, a closure and a context per layer, and what queries in
 * flight keep is what each scavenge copies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dispatchTo } from "./dispatch.ts";
 * const answer = new Uint8Array([1, 2]);
 * const context = { resolve: () => Promise.resolve(answer), stats: { dropped: 0, rejected: 0 }, transport: "udp" as const };
 * const message = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * const sent: [Uint8Array | null, string][] = [];
 * const now = dispatchTo(context, message, "127.0.0.2", "client", (bytes, to) => sent.push([bytes, to]), () => {});
 * assert.equal(now, undefined); // later
 * await Promise.resolve();
 * assert.deepEqual(sent, [[answer, "client"]]);
 * ```
 */
export function dispatchTo<T>(
  context: DispatchContext,
  message: Uint8Array,
  sourceIp: string,
  target: T,
  later: (reply: DnsReply, target: T) => void,
  failed: () => void,
): DnsReply | undefined {
  const request = admit(context, message, sourceIp);
  if (request === null || request instanceof Uint8Array) return request;
  const reply = context.resolve(request);
  if (reply instanceof Promise) {
    reply.then((bytes) => {
      observeLater(context, request, bytes);
      later(bytes, target);
    }, failed);
    return undefined;
  }
  context.observe?.(request, reply, 0);
  return reply;
}

/** Tells the observer of a reply that came later; counting must never cost the reply. */
function observeLater(context: DispatchContext, request: DnsRequest, reply: DnsReply): void {
  try {
    context.observe?.(request, reply, secondsSinceArrival(request));
  } catch { /* the reply is sent all the same */ }
}

/** The request for `message`, or what to answer at once: a refusal, or `null` (dropped). */
function admit(
  context: DispatchContext,
  message: Uint8Array,
  sourceIp: string,
): DnsRequest | DnsReply {
  const { stats } = context;
  const parsed = parseQuery(message);
  if (parsed.kind === "drop") {
    stats.dropped++;
    return null;
  }
  if (parsed.kind === "reject") {
    stats.rejected++;
    return parsed.response;
  }
  const source = sourceIp.includes(":") ? canonicalIp(sourceIp) ?? sourceIp : sourceIp;
  return {
    query: parsed.query,
    source,
    transport: context.transport,
    receivedAt: NOT_STAMPED, // the chain reads the clock past the internal answers
    path: undefined, // set by the chain; here so the object keeps one shape (no growth per query)
    key: undefined,
  };
}
