/**
 * Identical forwarded queries in flight at once share one upstream exchange (docs/dns.md,
 * "Forwarding"): the same name ignoring case, type, class, transport, CD bit and EDNS (its
 * presence, UDP size and DO bit). Each client gets the reply with its own ID and its own question
 * case. A query that comes back to the server through a forwarding loop therefore joins the
 * exchange it came from instead of being forwarded again, and the loop dies with that exchange.
 *
 * @module
 */

import { copyBytes } from "../wire/byte_slab.ts";
import type { DnsHandler, DnsReply, DnsRequest } from "./handler.ts";
import { copyQuestion, readU16, setId } from "../wire/message.ts";
import { requestKey } from "./request_key.ts";

/** Counters of the sharing, read by metrics. */
export interface InFlightStats {
  /** Queries that joined an exchange already in flight. */
  shared: number;
  /** Queries recognised as having come back through a forwarding loop. */
  loops: number;
}

/** Options of {@linkcode shareInFlight}. */
export interface InFlightOptions {
  stats: InFlightStats;
  /** Whether an IP is one of the upstream servers' (a query from there for a name being asked of it is a loop). */
  isUpstreamAddress: (ip: string) => boolean;
  /** Told of each looped query (for the error log line). */
  onLoop?: (request: DnsRequest) => void;
}

interface Exchange {
  leader: DnsRequest;
  reply: Promise<DnsReply>;
}

/**
 * `reply` as the answer to `request`: a copy with the request's ID and question bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery } from "../wire/query.ts";
 * import { replyFor } from "./in_flight.ts";
 * const parsed = parseQuery(new Uint8Array([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 68, 66, 0, 0, 1, 0, 1]));
 * assert.ok(parsed.kind === "query");
 * const reply = new Uint8Array([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * const mine = replyFor(reply, parsed.query);
 * assert.deepEqual([...mine.subarray(0, 2)], [0, 9]); // the client's ID
 * assert.deepEqual([...mine.subarray(13, 15)], [68, 66]); // the client's case: "DB"
 * ```
 */
export function replyFor(
  reply: Uint8Array,
  query: { id: number; raw: Uint8Array; questionEnd: number },
): Uint8Array {
  const copy = copyBytes(reply);
  setId(copy, query.id);
  if (copy.length >= query.questionEnd) copyQuestion(query.raw, copy, query.questionEnd); // its case
  return copy;
}

/**
 * The sharing handler: the first of identical queries goes on to `next` (forwarding), the
 * others wait for its reply.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery } from "../wire/query.ts";
 * import { shareInFlight } from "./in_flight.ts";
 * const stats = { shared: 0, loops: 0 };
 * const handler = shareInFlight({ stats, isUpstreamAddress: () => false });
 * const request = (id: number) => {
 *   const parsed = parseQuery(new Uint8Array([0, id, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 *   assert.ok(parsed.kind === "query");
 *   return { query: parsed.query, source: "127.0.0.2", transport: "udp" as const, receivedAt: 0 };
 * };
 * let upstreamCalls = 0;
 * const next = (r: { query: { raw: Uint8Array } }) => {
 *   upstreamCalls++;
 *   return Promise.resolve(r.query.raw.slice());
 * };
 * const [a, b] = await Promise.all([handler(request(1), next), handler(request(2), next)]);
 * assert.equal(upstreamCalls, 1);
 * assert.equal(stats.shared, 1);
 * assert.deepEqual([a![1], b![1]], [1, 2]); // each client its own ID
 * ```
 */
export function shareInFlight(options: InFlightOptions): DnsHandler {
  const inFlight = new Map<string, Exchange>();
  const { stats } = options;
  return (request, next) => {
    request.path ??= "forwarded"; // the hold handler, when it wraps us, has set "held"
    const key = requestKey(request);
    const exchange = inFlight.get(key);
    if (exchange) {
      stats.shared++;
      // the leader's message carries the ID it was sent upstream with: an echo of it came back
      const echoed = readU16(exchange.leader.query.raw, 0) === request.query.id;
      if (echoed || options.isUpstreamAddress(request.source)) {
        stats.loops++;
        options.onLoop?.(request);
      }
      return exchange.reply.then((reply) => reply && replyFor(reply, request.query));
    }
    const reply = next(request);
    if (!(reply instanceof Promise)) return reply;
    inFlight.set(key, { leader: request, reply });
    const done = (bytes: DnsReply) => {
      inFlight.delete(key);
      return bytes;
    };
    return reply.then(done, (error) => {
      inFlight.delete(key);
      throw error;
    });
  };
}
