/**
 * Watch ingest: the real PodWatcher lists N pods, then reads 10,000 watch events (readiness
 * flips) from a loopback server that replays precomputed bodies, so the watcher's own work is
 * what is timed: reading, JSON parsing, the pod contract, the index update. Run at 1,000 and at
 * 10,000 indexed pods: the per-event cost must not grow with the index.
 *
 * Then the server process itself: kubedock-dns (main.ts, production permissions) against a
 * loopback API that serves a list of 10,000 pods; how long from the list's response to
 * `/readyz` 200, and its own RSS (its `process_resident_memory_bytes`, cross-checked with
 * `ps`) with the pods indexed, and again with the cache filled with 10,000 forwarded names. Once
 * for one namespace, once with the 10,000 pods spread over 200 namespaces (`--all-namespaces`,
 * the same network ids and aliases in every namespace).
 *
 * Usage: deno task bench:watch [--heap-snapshot]   (the second also prints the server's heap,
 * taken over its inspector, by kind of object)
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { NetworkIndex } from "../src/index/network_index.ts";
import { KubeApi } from "../src/kube/api_client.ts";
import { podToRecord } from "../src/kube/pod_to_record.ts";
import { PodWatcher } from "../src/kube/pod_watcher.ts";
import { kubeconfigFor } from "../src/fake/routes.ts";
import { freePort, startDnsmasq } from "../src/testing/dnsmasq.ts";
import { dnsOnlyArgs, mainPermissions, startMain } from "../src/testing/main_process.ts";
import { dnsperf } from "./harness.ts";
import { summarizeHeap, takeHeapSnapshot } from "./heap_snapshot.ts";

const EVENTS = 10_000;
const CONTRACT = {
  label: "kubedock",
  hostaliasPrefix: "kubedock.hostalias/",
  networkPrefix: "kubedock.network/",
};

/** A list response of `pods` ready pods. */
function podList(pods: number): string {
  return JSON.stringify({
    kind: "PodList",
    apiVersion: "v1",
    metadata: { resourceVersion: String(pods) },
    items: Array.from({ length: pods }, (_, i) => pod(i, true, i + 1)),
  });
}

function pod(i: number, ready: boolean, rv: number, namespaces = 1) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `pod-${i}`,
      namespace: namespaces === 1 ? "bench" : `bench-${i % namespaces}`,
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
  const listBody = podList(pods);
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
  stop.abort();
  await running;
  await server.shutdown();
  return {
    pods: index.podCount,
    listMs: watchStarted - listStarted,
    eventsPerSecond: EVENTS / ((ended - watchStarted) / 1000),
    microsPerEvent: ((ended - watchStarted) * 1000) / EVENTS,
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
indexOnly(1_000); // warm-up
const sizes = [1_000, 10_000, 100_000];
const flips = sizes.map((n) => indexOnly(n));
console.log(
  `  the index alone, per readiness flip: ${
    sizes.map((n, i) => `${flips[i].toFixed(2)} µs at ${n}`).join(", ")
  } pods`,
);
console.log(
  `  at 100,000 / at 10,000 pods = ${(flips[2] / flips[1]).toFixed(2)} ` +
    "(the work per flip is that pod's aliases and networks; why it rises with the index was not profiled)",
);

/** Prints a heap summary of the server process, largest kinds first. */
async function printHeap(inspector: { hostname: string; port: number }, when: string) {
  console.log(`  heap of the server process ${when} (after a full GC): KB, objects, what`);
  for (const row of summarizeHeap(await takeHeapSnapshot(inspector)).slice(0, 12)) {
    const kb = (row.bytes / 1024).toFixed(0).padStart(9);
    console.log(`  ${kb} ${String(row.count).padStart(8)}  ${row.name}`);
  }
}

/**
 * The server process with `pods` listed: time to ready, and its own RSS with the pods indexed and
 * after 10,000 forwarded names filled the cache; `heapSnapshot` also prints heap summaries.
 */
async function serverProcess(pods: number, heapSnapshot: boolean, namespaces = 1) {
  const inspector = { hostname: "127.0.0.1", port: freePort() };
  const items = Array.from({ length: pods }, (_, i) => pod(i, true, i + 1, namespaces));
  let listAskedAt = 0;
  // pages as a real API server gives them for `limit` and `continue` (the watcher asks for 500)
  const api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const query = new URL(request.url).searchParams;
    if (query.has("watch")) return new Response(new ReadableStream());
    const from = Number(query.get("continue") || 0);
    const limit = Number(query.get("limit") || pods);
    if (from === 0) listAskedAt = performance.now();
    const next = from + limit < pods ? String(from + limit) : undefined;
    const body = JSON.stringify({
      kind: "PodList",
      apiVersion: "v1",
      metadata: { resourceVersion: String(pods), ...(next ? { continue: next } : {}) },
      items: items.slice(from, from + limit),
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  });
  const dnsmasq = await startDnsmasq({}, {
    localTtl: 300,
    wildcards: { "cache.bench.test": "192.0.2.9" },
  });
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-bench-" });
  const kubeconfig = `${dir}/kubeconfig`;
  // JSON: the process loads the modules a replica in a cluster loads (no YAML parser, which a
  // service account does not need and a YAML kubeconfig would add, about 5 MB)
  const url = `http://127.0.0.1:${api.addr.port}`;
  await Deno.writeTextFile(kubeconfig, kubeconfigFor(url, "bench", { json: true }));
  const inspect = heapSnapshot ? [`--inspect=${inspector.hostname}:${inspector.port}`] : [];
  const main = await startMain(
    [
      ...dnsOnlyArgs(kubeconfig, dnsmasq.address.port),
      "--log-level",
      "warning",
      ...(namespaces > 1 ? ["--all-namespaces"] : []),
    ],
    mainPermissions(kubeconfig).then((flags) => [...inspect, ...flags]),
  );
  try {
    while ((await main.healthStatus("/readyz")) !== 200) {
      await new Promise((r) => setTimeout(r, 2));
    }
    const readyMs = performance.now() - listAskedAt;
    const metric = async (name: string) => {
      const text = await (await fetch(`http://127.0.0.1:${main.health.port}/metrics`)).text();
      return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    };
    const psRss = async () => {
      const args = ["-o", "rss=", "-p", String(main.child.pid)];
      const { stdout } = await new Deno.Command("ps", { args, stdout: "piped" }).output();
      return Number(new TextDecoder().decode(stdout).trim()) * 1024;
    };
    const indexed = await metric("kubedock_dns_indexed_pods");
    const networks = await metric("kubedock_dns_indexed_networks");
    const rssIndexed = await metric("process_resident_memory_bytes");
    const psIndexed = await psRss();
    if (heapSnapshot) await printHeap(inspector, "with the pods indexed");
    const names = Array.from({ length: 10_000 }, (_, i) => `c${i}.cache.bench.test A`);
    await dnsperf({ server: main.dns, query: names, seconds: 3 });
    const entries = await metric("kubedock_dns_cache_entries");
    const rssCached = await metric("process_resident_memory_bytes");
    const psCached = await psRss();
    if (heapSnapshot) await printHeap(inspector, "with the cache full too");
    return { indexed, networks, readyMs, rssIndexed, psIndexed, entries, rssCached, psCached };
  } finally {
    await main.stop();
    await api.shutdown();
    await dnsmasq.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

const heapSnapshot = Deno.args.includes("--heap-snapshot");
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
for (const namespaces of [1, 200]) {
  const server = await serverProcess(10_000, heapSnapshot, namespaces);
  console.log(
    `\nthe server process (main.ts, production permissions and V8 flags), 10,000 pods, ${
      namespaces === 1 ? "one namespace" : `${namespaces} namespaces (--all-namespaces)`
    }`,
  );
  console.log(
    `  indexed ${server.indexed} pods in ${server.networks} networks; /readyz 200 ${
      server.readyMs.toFixed(0)
    } ms after the list's first page was asked for   (target < 1000 ms)`,
  );
  console.log(
    `  RSS with the pods indexed: ${mb(server.rssIndexed)} (ps: ${
      mb(server.psIndexed)
    })   (target < 100 MB)`,
  );
  console.log(
    `  RSS with the cache full too (${server.entries} entries): ${mb(server.rssCached)} (ps: ${
      mb(server.psCached)
    })   (target < 100 MB)`,
  );
}
if (heapSnapshot) {
  console.log(
    "  (these RSS figures include the inspector and its snapshots: measure without them)",
  );
}
