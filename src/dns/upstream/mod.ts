/**
 * The upstream servers: one attempt to one server over UDP or TCP, and the servers in failover
 * order with health marking and probes. Built on the wire format only.
 *
 * @module
 */

export {
  DEFAULT_PROBE_INTERVAL_MS,
  DnsUpstream,
  type DnsUpstreamOptions,
  type Upstream,
  type UpstreamHealth,
} from "./upstream.ts";
export { UpstreamServer, type UpstreamStats } from "./upstream_server.ts";
