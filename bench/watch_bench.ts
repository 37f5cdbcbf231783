/**
 * Watch ingest: the real PodWatcher lists N pods, then reads 10,000 watch events (readiness
 * flips) from a loopback server that replays precomputed bodies, so the watcher's own work is
 * what is timed: reading, JSON parsing, the pod contract, the index update. Run at 1,000 and at
 * 10,000 indexed pods: the per-event cost must not grow with the index. Prints the RSS with
 * 10,000 pods indexed.
 *
 * Usage: deno task bench:watch
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { NetworkIndex } from "../src/index/network_index.ts";
import { KubeApi } from "../src/kube/api_client.ts";
import { podToRecord } from "../src/kube/pod_to_record.ts";
import { PodWatcher } from "../src/kube/pod_watcher.ts";

const EVENTS = 10_000;
const CONTRACT = {
  label: "kubedock",
  hostaliasPrefix: "kubedock.hostalias/",
  networkPrefix: "kubedock.network/",
};

function pod(i: number, ready: boolean, rv: number) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `pod-${i}`,
      namespace: "bench",
      uid: `uid-${i}`,
      resourceVersion: String(rv),
      labels: { kubedock: "true" },
      annotations: {
        "kubedock.hostalias/0": `svc${Math.floor(i / 500) % 50}`,
        "kubedock.hostalias/1": `alias-${i}`,
        "kubedock.network/0": `net-${i % 500}`,
      },
    },
    spec: { containers: [{ name: "main", image: "postgres:16" }] },
    status: {
      phase: "Running",
      podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
    },
  };
}

async function run(pods: number) {
  const listBody = JSON.stringify({
    kind: "PodList",
    apiVersion: "v1",
    metadata: { resourceVersion: String(pods) },
    items: Array.from({ length: pods }, (_, i) => pod(i, true, i + 1)),
  });
  const events = Array.from({ length: EVENTS }, (_, n) => {
    const i = (n * 7919) % pods;
    return JSON.stringify({ type: "MODIFIED", object: pod(i, n % 2 === 1, pods + n + 1) }) + "\n";
  }).join("");
  let watchStarted = 0;
  let watches = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (!new URL(request.url).searchParams.has("watch")) {
      return new Response(listBody, { headers: { "content-type": "application/json" } });
    }
    if (watches++ > 0) return new Response(new ReadableStream()); // later watches stay silent
    watchStarted = performance.now();
    return new Response(events, { headers: { "content-type": "application/json" } });
  });
  const index = new NetworkIndex();
  let done: () => void;
  const finished = new Promise<void>((resolve) => done = resolve);
  let applied = 0;
  const watcher = new PodWatcher({
    api: new KubeApi({
      server: `http://127.0.0.1:${server.addr.port}`,
      namespace: "bench",
      source: "bench",
      authorization: () => Promise.resolve(undefined),
    }),
    index,
    labelSelector: "kubedock=true",
    toRecord: (p) => podToRecord(p, CONTRACT),
    log: getLogger(["kubedock-dns", "bench"]),
    onEvent: () => {
      if (++applied === EVENTS) done();
    },
  });
  const stop = new AbortController();
  const listStarted = performance.now();
  const running = watcher.run(stop.signal);
  await finished;
  const ended = performance.now();
  const rss = Deno.memoryUsage().rss;
  stop.abort();
  await running;
  await server.shutdown();
  return {
    pods: index.podCount,
    listMs: watchStarted - listStarted,
    eventsPerSecond: EVENTS / ((ended - watchStarted) / 1000),
    microsPerEvent: ((ended - watchStarted) * 1000) / EVENTS,
    rssMb: rss / 2 ** 20,
  };
}

/** The index alone: µs per readiness flip with `pods` indexed (best of three rounds). */
function indexOnly(pods: number): number {
  const index = new NetworkIndex();
  const records = Array.from(
    { length: pods },
    (_, i) => podToRecord(pod(i, true, i + 1), CONTRACT)!,
  );
  index.replaceAll(records);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let n = 0; n < EVENTS; n++) {
      const record = records[(n * 7919) % pods];
      index.upsert({ ...record, answerable: n % 2 === 1 });
    }
    best = Math.min(best, ((performance.now() - started) * 1000) / EVENTS);
  }
  return best;
}

const baselineRss = Deno.memoryUsage().rss / 2 ** 20;
await run(1_000); // warm-up: JIT
const small = await run(1_000);
const large = await run(10_000);
console.log(`watch ingest: ${EVENTS} MODIFIED events after listing N pods\n`);
for (const r of [small, large]) {
  console.log(
    `  N=${r.pods.toString().padStart(6)}  list ${r.listMs.toFixed(0).padStart(5)} ms   ` +
      `${r.eventsPerSecond.toFixed(0).padStart(7)} events/s   ${
        r.microsPerEvent.toFixed(1)
      } µs/event`,
  );
}
console.log(
  `  cost per event at 10,000 / at 1,000 pods = ${
    (large.microsPerEvent / small.microsPerEvent).toFixed(2)
  }`,
);
console.log(
  `  process RSS with 10,000 pods indexed: ${large.rssMb.toFixed(0)} MB (at start ${
    baselineRss.toFixed(0)
  } MB)`,
);
indexOnly(1_000); // warm-up
const perSize = [1_000, 10_000, 100_000].map((n) => `${indexOnly(n).toFixed(2)} µs at ${n}`);
console.log(`  the index alone, per readiness flip: ${perSize.join(", ")} pods`);
console.log("  (flat from 10,000 to 100,000: the step from 1,000 is caches, not work per pod)");
