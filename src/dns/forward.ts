/**
 * The last handler of the chain: relay the query upstream and the reply back unchanged, or
 * SERVFAIL when the upstream does not answer.
 *
 * @module
 */

import type { DnsHandler, DnsRequest } from "./handler.ts";
import type { Upstream } from "./upstream.ts";
import { buildResponse, RCODE, responseLimit } from "./wire.ts";

/**
 * SERVFAIL for a request, question echoed.
 *
 * @example
 * ```ts
 * import { serverFailure } from "./forward.ts";
 * // serverFailure(request) → bytes with rcode 2
 * ```
 */
export function serverFailure(request: DnsRequest): Uint8Array {
  return buildResponse(request.query, RCODE.SERVFAIL, [], {
    ttl: 0,
    authoritative: false,
    limit: responseLimit(request.query, request.transport),
  });
}

/**
 * Relays `request` upstream over its own transport; resolves to upstream's reply or SERVFAIL.
 *
 * @example
 * ```ts
 * import { relay } from "./forward.ts";
 * // const reply = await relay(upstream, request); // upstream's reply, or SERVFAIL
 * ```
 */
export function relay(upstream: Upstream, request: DnsRequest): Promise<Uint8Array> {
  const { query, transport } = request;
  return upstream.exchange(query.raw, query.questionEnd, transport)
    .then((reply) => reply ?? serverFailure(request));
}

/**
 * A handler that forwards everything it sees.
 *
 * @example
 * ```ts
 * import { DnsUpstream } from "./upstream.ts";
 * import { forwardHandler } from "./forward.ts";
 * const handler = forwardHandler(new DnsUpstream({ hostname: "127.0.0.1", port: 5300 }, 2000));
 * ```
 */
export function forwardHandler(upstream: Upstream): DnsHandler {
  return (request) => {
    request.path ??= "forwarded"; // the hold handler, when it wraps us, has set "held"
    return relay(upstream, request);
  };
}
