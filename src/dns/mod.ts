/**
 * The DNS server: the handler chain, its state, UDP/TCP serving and forwarding.
 * What this folder offers the rest of the program. Its layers, each a folder with a `mod.ts`,
 * import only from layers below them: `wire/` (the wire format) ← `upstream/` ← `chain/` (the
 * handlers) ← `sockets/` ← `server.ts` and `state.ts` here, which build the chain and own its
 * state.
 *
 * @module
 */

export {
  chain,
  type DnsHandler,
  type DnsReply,
  type DnsRequest,
  type DnsResolver,
} from "./chain/handler.ts";
export { buildResolver, type DnsServer, type DnsServerOptions, startDnsServer } from "./server.ts";
export { DnsServerState } from "./state.ts";
export { perNamespaceSuffix } from "./wire/names.ts";
export {
  DEFAULT_PROBE_INTERVAL_MS,
  DnsUpstream,
  type DnsUpstreamOptions,
  type Upstream,
  type UpstreamHealth,
} from "./upstream/upstream.ts";
