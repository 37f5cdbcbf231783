/**
 * CPU cost of the hot path without sockets: parse + handler chain + answer, for an internal
 * answer, a forwarded name answered from the cache, and the non-kubedock path up to the forward
 * decision (a cache miss).
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
