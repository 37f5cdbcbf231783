/** The DNS server in the test process on a free loopback port, with test defaults. */
import type { NetworkIndex } from "../../src/index/network_index.ts";
import { type DnsServer, type DnsServerOptions, startDnsServer } from "../../src/dns/server.ts";
import type { Upstream } from "../../src/dns/upstream.ts";

/** The search suffix of the tests' namespace `ci`. */
export const TEST_SEARCH_SUFFIX = "ci.svc.cluster.local";

/** Starts a server on 127.0.0.1 (TTL 10, namespace `ci`); `overrides` change the rest. */
export function startTestDnsServer(
  index: NetworkIndex,
  upstream: Upstream,
  overrides: Partial<DnsServerOptions> = {},
): DnsServer {
  return startDnsServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    index,
    upstream,
    ttl: 10,
    searchSuffix: TEST_SEARCH_SUFFIX,
    internalDomains: [],
    waitTimeoutMs: 1_000,
    maxPending: 100,
    ...overrides,
  });
}
