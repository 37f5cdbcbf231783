/**
 * The resolution chain: small handlers, tried in order, each answering a request or passing it
 * on (CoreDNS style). Handlers know nothing of sockets.
 *
 * @module
 */

import type { Query, Transport } from "./wire.ts";

/** A parsed query and where it came from. */
export interface DnsRequest {
  query: Query;
  /** Canonical source IP of the client. */
  source: string;
  transport: Transport;
  /** `performance.now()` when the query arrived. */
  receivedAt: number;
  /** How it was answered, set by the handler that answered (for metrics and debug logs). */
  path?: "internal" | "held" | "forwarded";
}

/** The bytes to send back, or `null` to send nothing. */
export type DnsReply = Uint8Array | null;

/** A handler answers (now or later) or returns `undefined` to pass the request on. */
export type DnsHandler = (request: DnsRequest) => DnsReply | Promise<DnsReply> | undefined;

/** The whole chain: always answers. */
export type DnsResolver = (request: DnsRequest) => DnsReply | Promise<DnsReply>;

/**
 * Composes handlers into a resolver; the last handler must always answer.
 *
 * @example
 * ```ts
 * import { chain } from "./handler.ts";
 * const resolve = chain(() => undefined, () => null);
 * ```
 */
export function chain(...handlers: DnsHandler[]): DnsResolver {
  return (request) => {
    for (const handler of handlers) {
      const reply = handler(request);
      if (reply !== undefined) return reply;
    }
    throw new Error("the DNS handler chain ended without an answer");
  };
}
