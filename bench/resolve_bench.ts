/**
 * CPU cost of the hot path without sockets: parse + handler chain + answer, for an internal
 * answer, a forwarded name answered from the cache, and the non-kubedock path up to the forward
 * decision (a cache miss). Then cache hits among 1,000 names with the CPU's caches polluted before
 * each (1 MB read and written, as the kernel, dnsperf and the collector do between two queries in
 * the server; only the hit is timed): what a hit costs when its data is no longer in the CPU's
 * caches, which a loop over one name never shows.
 *
 * Usage: deno task bench:resolve
 *
 * @module
 */

import { dispatch, type DispatchContext } from "../src/dns/sockets/dispatch.ts";
import { copyBytes } from "../src/dns/wire/byte_slab.ts";
import { LoopProbe } from "../src/dns/chain/loop_probe.ts";
import { buildResolver } from "../src/dns/server.ts";
import { testServerOptions } from "../src/testing/dns_server.ts";
import type { Upstream } from "../src/dns/upstream/upstream.ts";
import { NetworkIndex } from "../src/index/network_index.ts";
import { sharingKey } from "../src/dns/chain/request_key.ts";
import { encodeQuery, packet, parsedQuery } from "../src/testing/packet.ts";
import { podRecord } from "../src/testing/records.ts";

const index = new NetworkIndex();
index.replaceAll([
  podRecord("db1", ["127.0.0.2"], ["db"], ["n1"]),
  podRecord("app1", ["127.0.0.3"], ["app"], ["n1"]),
]);
const nullUpstream: Upstream = { exchange: () => Promise.resolve(null), close: () => {} };
const options = testServerOptions(index, nullUpstream, { waitTimeoutMs: 20_000 });
const { state } = options;
const resolve = buildResolver(options, new LoopProbe({ shared: 0, loops: 0 }));
const context: DispatchContext = { resolve, stats: { dropped: 0, rejected: 0 }, transport: "udp" };
const internalQuery = encodeQuery("db", "A");
const searchQuery = encodeQuery("db.ci.svc.cluster.local", "A", 1, 1232);
const cachedQuery = encodeQuery("registry.example.test", "A", 1, 1232);
{ // the cache holds upstream's answer for registry.example.test
  const query = parsedQuery(cachedQuery.slice());
  const reply = new Uint8Array(packet.encode({
    type: "response",
    id: 1,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
    questions: [{ type: "A", name: "registry.example.test", class: "IN" }],
    answers: [{ type: "A", name: "registry.example.test", ttl: 300, data: "192.0.2.7" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232 } as packet.Answer],
  }));
  state.cache.store(
    sharingKey({ query, transport: "udp" }),
    reply,
    performance.now(),
  );
}

Deno.bench("internal answer (db A from a pod)", { group: "resolve", baseline: true }, () => {
  dispatch(context, copyBytes(internalQuery), "127.0.0.3");
});

Deno.bench("internal answer through the search suffix, EDNS", { group: "resolve" }, () => {
  dispatch(context, copyBytes(searchQuery), "127.0.0.3");
});

Deno.bench("forwarded name answered from the cache, EDNS", { group: "resolve" }, () => {
  dispatch(context, copyBytes(cachedQuery), "127.0.0.99");
});

Deno.bench("non-kubedock source up to the forward decision", { group: "resolve" }, () => {
  dispatch(context, copyBytes(internalQuery), "127.0.0.99");
});

const hitNames = Array.from({ length: 1_000 }, (_, i) => `f${i}.bench.test`);
const hitQueries = hitNames.map((name) => encodeQuery(name, "A", 1));
for (const name of hitNames) {
  const query = parsedQuery(encodeQuery(name, "A", 1));
  const reply = new Uint8Array(packet.encode({
    type: "response",
    id: 1,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
    questions: [{ type: "A", name, class: "IN" }],
    answers: [{ type: "A", name, ttl: 300, data: "192.0.2.8" }],
  }));
  state.cache.store(sharingKey({ query, transport: "udp" }), reply, performance.now());
}
const junk = new Int32Array(262_144); // 1 MB
let touched = 0;
/** Reads and writes one int per 64-byte line of `junk`. */
function pollute(): void {
  for (let i = 0; i < junk.length; i += 16) touched += junk[i]++;
}
let next = 0;

Deno.bench("a cache hit among 1,000 names, in turn", { group: "polluted", baseline: true }, () => {
  next = (next + 617) % hitQueries.length; // not in order: each name's data elsewhere in memory
  dispatch(context, copyBytes(hitQueries[next]), "127.0.0.3");
});

Deno.bench("the same, the CPU's caches polluted before each", { group: "polluted" }, (b) => {
  pollute();
  next = (next + 617) % hitQueries.length;
  b.start();
  dispatch(context, copyBytes(hitQueries[next]), "127.0.0.3");
  b.end();
});
