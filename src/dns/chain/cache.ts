/**
 * The cache handler (docs/dns.md, "Cache"): a fresh kept reply answers at once; otherwise the
 * query goes on to forwarding and a reply that may be kept is stored. When forwarding fails (no
 * upstream answered, or one answered SERVFAIL) an expired entry still inside the serve-stale
 * window is answered instead, with TTL 30 (RFC 8767); when every upstream is already marked down
 * it is answered at once and the name is asked upstream in the background, so the entry is
 * renewed as soon as an upstream answers again. Keys are those of the in-flight sharing.
 *
 * @module
 */

import type { DnsHandler, DnsReply, DnsRequest, DnsResolver } from "./handler.ts";
import { keySlotOf, requestKey } from "./request_key.ts";
import { RCODE, rcodeOf } from "../wire/message.ts";
import type { CacheEntry, ReplyCache } from "./reply_cache.ts";

/** Options of {@linkcode cacheHandler}. */
export interface CacheHandlerOptions {
  cache: ReplyCache;
  /** Whether every upstream is marked down now. */
  upstreamsDown: () => boolean;
  /** The clock of `receivedAt` (default `performance.now`), read when a reply is stored. */
  now?: () => number;
}

function failed(reply: DnsReply): boolean {
  return reply === null || rcodeOf(reply) === RCODE.SERVFAIL;
}

/**
 * The handler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheHandler } from "./cache.ts";
 * import { parseQuery } from "../wire/query.ts";
 * import { ReplyCache } from "./reply_cache.ts";
 * const cache = new ReplyCache({ maxEntries: 10, maxTtl: 300, negativeTtl: 5, staleMs: 3_600_000 });
 * const handler = cacheHandler({ cache, upstreamsDown: () => false });
 * const parsed = parseQuery(new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 * assert.ok(parsed.kind === "query");
 * const answer = new Uint8Array([
 *   0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1,
 *   0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7,
 * ]);
 * let asked = 0;
 * const upstream = () => (asked++, Promise.resolve(answer.slice()));
 * const request = () => ({ query: parsed.query, source: "127.0.0.2", transport: "udp" as const, receivedAt: performance.now() });
 * await handler(request(), upstream);
 * const second = await handler(request(), upstream);
 * assert.equal(asked, 1); // the second came from the cache
 * assert.deepEqual(second, answer);
 * assert.deepEqual(cache.stats, { hits: 1, misses: 1, evictions: 0, stale: 0 });
 * ```
 */
export function cacheHandler(options: CacheHandlerOptions): DnsHandler {
  const { cache } = options;
  const now = options.now ?? (() => performance.now());
  const stale = (request: DnsRequest, found: CacheEntry, at: number) => {
    cache.stats.stale++;
    return cache.answer(found, request.query, true, at);
  };
  /** Forwards, then keeps what came back, or answers `found` stale if nothing good did. */
  const ask = (
    request: DnsRequest,
    next: DnsResolver,
    key: string,
    found: CacheEntry | undefined,
  ): DnsReply | Promise<DnsReply> => {
    const settle = (reply: DnsReply): DnsReply => {
      if (!failed(reply)) {
        cache.store(key, reply!, now());
        return reply;
      }
      return found ? stale(request, found, now()) : reply;
    };
    const reply = next(request);
    return reply instanceof Promise ? reply.then(settle) : settle(reply);
  };
  return (request, next) => {
    const key = requestKey(request);
    const found = cache.lookup(key, request.receivedAt, keySlotOf(request.query)); // no clock read
    if (found && cache.fresh(found, request.receivedAt)) {
      cache.stats.hits++;
      request.path ??= "cached";
      return cache.answer(found, request.query, false, request.receivedAt);
    }
    cache.stats.misses++;
    if (found && options.upstreamsDown()) {
      // renew in the background; the in-flight sharing keeps this to one exchange per name
      const renewal = ask({ ...request }, next, key, undefined);
      if (renewal instanceof Promise) renewal.catch(() => {});
      request.path ??= "cached";
      return stale(request, found, request.receivedAt);
    }
    return ask(request, next, key, found);
  };
}
