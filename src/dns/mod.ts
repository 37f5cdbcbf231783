/**
 * The DNS server: the handler chain, its state, UDP/TCP serving and forwarding.
 * What this folder offers the rest of the program; the modules beside it hold the details.
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
export { buildResolver, type DnsServer, type DnsServerOptions, startDnsServer } from "./server.ts";
export { DnsServerState } from "./state.ts";
export { perNamespaceSuffix } from "./names.ts";
export {
  DEFAULT_PROBE_INTERVAL_MS,
  DnsUpstream,
  type DnsUpstreamOptions,
  type Upstream,
  type UpstreamHealth,
} from "./upstream.ts";
