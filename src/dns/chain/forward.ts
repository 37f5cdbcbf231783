/**
 * The last handler of the chain: relay the query upstream and the reply back unchanged, or
 * SERVFAIL when the upstream does not answer.
 *
 * @module
 */

import type { DnsHandler, DnsRequest } from "./handler.ts";
import type { Upstream } from "../upstream/upstream.ts";
import { serverFailure } from "../wire/reply.ts";

/**
 * Relays `request` upstream over its own transport; resolves to upstream's reply or SERVFAIL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relay } from "./forward.ts";
 * import { parseQuery } from "../wire/query.ts";
 * const parsed = parseQuery(new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 * assert.ok(parsed.kind === "query");
 * const silent = { exchange: () => Promise.resolve(null), close() {} }; // no reply at all
 * const reply = await relay(silent, { query: parsed.query, source: "127.0.0.2", transport: "udp", receivedAt: 0 });
 * assert.equal(reply[3] & 0x0f, 2); // SERVFAIL
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
 * import assert from "node:assert/strict";
 * import type { DnsRequest } from "./handler.ts";
 * import { forwardHandler } from "./forward.ts";
 * import { parseQuery } from "../wire/query.ts";
 * const parsed = parseQuery(new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 * assert.ok(parsed.kind === "query");
 * const echo = { exchange: (message: Uint8Array) => Promise.resolve(message.slice()), close() {} };
 * const request: DnsRequest = { query: parsed.query, source: "127.0.0.2", transport: "udp", receivedAt: 0 };
 * const reply = await forwardHandler(echo)(request, () => null);
 * assert.equal(reply?.length, 20);
 * assert.equal(request.path, "forwarded");
 * ```
 */
export function forwardHandler(upstream: Upstream): DnsHandler {
  return (request) => {
    request.path ??= "forwarded"; // the hold handler, when it wraps us, has set "held"
    return relay(upstream, request);
  };
}
