/**
 * The handler chain, CoreDNS style, in its order: internal answer → hold → loop probe → cache →
 * in-flight sharing → forward; each handler in a file of its own (with the stores it owns), all
 * knowing nothing of sockets. Built on the wire format and the upstreams.
 *
 * @module
 */

export {
  chain,
  type DnsHandler,
  type DnsReply,
  type DnsRequest,
  type DnsResolver,
} from "./handler.ts";
export { answerFromIndex, internalAnswerHandler } from "./internal_answer.ts";
export { holdHandler } from "./hold.ts";
export { type HoldLimits, type HoldOutcome, HoldRegistry } from "./hold_registry.ts";
export { SEARCH_MEMORY_GRACE_MS, SearchListMemory } from "./search_memory.ts";
export { LoopProbe } from "./loop_probe.ts";
export { cacheHandler } from "./cache.ts";
export { ReplyCache, type ReplyCacheLimits, STALE_TTL } from "./reply_cache.ts";
export { cacheSeconds, rewriteTtls } from "./reply_ttl.ts";
export { type InFlightStats, shareInFlight } from "./in_flight.ts";
export { requestKey, sharingKey } from "./request_key.ts";
export { forwardHandler, relay } from "./forward.ts";
