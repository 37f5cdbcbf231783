/**
 * CPU cost of the hot path without sockets: parse + handler chain + answer, for an internal
 * answer and for the non-kubedock fast path up to the forward decision.
 *
 * Usage: deno task bench:resolve
 *
 * @module
 */

import { DEFAULT_CONFIG } from "../src/config/config.ts";
import { dispatch, type DispatchContext } from "../src/dns/dispatch.ts";
import { LoopProbe } from "../src/dns/loop_probe.ts";
import { buildResolver } from "../src/dns/server.ts";
import { DnsServerState } from "../src/dns/state.ts";
import type { Upstream } from "../src/dns/upstream.ts";
import { NetworkIndex } from "../src/index/network_index.ts";
import { encodeQuery } from "../tests/helpers/packet.ts";
import { podRecord } from "../tests/helpers/records.ts";

const index = new NetworkIndex();
index.replaceAll([
  podRecord("db1", ["127.0.0.2"], ["db"], ["n1"]),
  podRecord("app1", ["127.0.0.3"], ["app"], ["n1"]),
]);
const nullUpstream: Upstream = { exchange: () => Promise.resolve(null), close: () => {} };
const resolve = buildResolver({
  listen: { hostname: "127.0.0.1", port: 0 },
  index,
  upstream: nullUpstream,
  ttl: 10,
  searchSuffix: "ci.svc.cluster.local",
  internalDomains: [],
  state: DnsServerState.fromConfig(DEFAULT_CONFIG),
}, new LoopProbe({ shared: 0, loops: 0 }));
const context: DispatchContext = { resolve, stats: { dropped: 0, rejected: 0 }, transport: "udp" };
const internalQuery = encodeQuery("db", "A");
const searchQuery = encodeQuery("db.ci.svc.cluster.local", "A", 1, 1232);

Deno.bench("internal answer (db A from a pod)", { group: "resolve", baseline: true }, () => {
  dispatch(context, internalQuery.slice(), "127.0.0.3");
});

Deno.bench("internal answer through the search suffix, EDNS", { group: "resolve" }, () => {
  dispatch(context, searchQuery.slice(), "127.0.0.3");
});

Deno.bench("non-kubedock source up to the forward decision", { group: "resolve" }, () => {
  dispatch(context, internalQuery.slice(), "127.0.0.99");
});
