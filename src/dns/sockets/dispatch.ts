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
 * ```
 */
export function dispatch(
  context: DispatchContext,
  message: Uint8Array,
  sourceIp: string,
): DnsReply | Promise<DnsReply> {
  const { stats, observe } = context;
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
  const request: DnsRequest = {
    query: parsed.query,
    source,
    transport: context.transport,
    receivedAt: NOT_STAMPED, // the chain reads the clock past the internal answers
    path: undefined, // set by the chain; here so the object keeps one shape (no growth per query)
    key: undefined,
  };
  const reply = context.resolve(request);
  if (!observe) return reply;
  if (reply instanceof Promise) {
    return reply.then((bytes) => {
      observe(request, bytes, secondsSinceArrival(request));
      return bytes;
    });
  }
  observe(request, reply, 0);
  return reply;
}
