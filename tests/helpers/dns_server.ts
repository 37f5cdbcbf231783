/** The DNS server in the test process on a free loopback port, with test defaults. */
import { DEFAULT_CONFIG } from "../../src/config/config.ts";
import type { NetworkIndex } from "../../src/index/network_index.ts";
import { type DnsServer, type DnsServerOptions, startDnsServer } from "../../src/dns/server.ts";
import { DnsServerState, type StateFlags } from "../../src/dns/state.ts";
import type { Upstream } from "../../src/dns/upstream.ts";

/** The search suffix of the tests' namespace `ci`. */
export const TEST_SEARCH_SUFFIX = "ci.svc.cluster.local";

/** What a test may change: server options and the bounds of its state. */
export type TestServerOverrides = Partial<Omit<DnsServerOptions, "state">> & Partial<StateFlags>;

/**
 * Starts a server on 127.0.0.1 (TTL 10, namespace `ci`, wait timeout 1 s, at most 100 held, no
 * loop probe); `overrides` change the rest.
 */
export function startTestDnsServer(
  index: NetworkIndex,
  upstream: Upstream,
  overrides: TestServerOverrides = {},
): DnsServer {
  const state = DnsServerState.fromConfig({
    ...DEFAULT_CONFIG,
    waitTimeoutMs: 1_000,
    maxPending: 100,
    ...overrides,
  });
  return startDnsServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    index,
    upstream,
    ttl: 10,
    searchSuffix: TEST_SEARCH_SUFFIX,
    internalDomains: [],
    loopProbe: false,
    ...overrides,
    state,
  });
}
