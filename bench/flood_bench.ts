/**
 * One runaway pod must not degrade the others (issue: "one runaway pod degrades everyone"),
 * measured against kubedock-dns as a subprocess (`--wait-timeout 5s`, default bounds):
 *
 * 1. Bytes per held query: 10,000 search-suffixed unknown names held at once from 40 pods, with
 *    the DNS server in this process so the heap can be measured after a full GC; RSS beside it.
 * 2. UDP flood: one pod asks thousands of unknown names per second for 8 s while another pod
 *    asks its own `db` every 20 ms; every one of those must be answered within 100 ms, and the
 *    flooder is held to `--max-pending-per-source`.
 * 3. Bytes per idle TCP connection: 1,000 idle connections (`--tcp-max`) from 63 sources.
 * 4. TCP flood: one pod opens 10,000 idle connections (each sending half a length prefix) to a
 *    fresh replica; other pods' TCP and UDP queries are answered, and it stays under 150 MB.
 *
 * Every load loop is bounded in count and time; traffic goes to loopback only.
 *
 * Usage: deno task bench:flood
 *
 * @module
 */

import net from "node:net";
import { DEFAULT_CONFIG } from "../src/config/config.ts";
import { startDnsServer } from "../src/dns/server.ts";
import { testServerOptions } from "../src/testing/dns_server.ts";
import { DnsServerState } from "../src/dns/state.ts";
import type { Upstream } from "../src/dns/upstream/upstream.ts";
import { kubedockPod } from "../src/fake/kubedock_pod.ts";
import { NetworkIndex } from "../src/index/network_index.ts";
import { startBench } from "./harness.ts";
import { decode, encodeQuery } from "../src/testing/packet.ts";

const WAIT_TIMEOUT_S = 5;
const setup = await startBench([`--wait-timeout`, `${WAIT_TIMEOUT_S}s`]);
const { fake, main } = setup;
const SUFFIX = "bench.svc.cluster.local";

async function scrape(port = main.health.port): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const values: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+(?:\{[^}]*\})?) ([\d.e+-]+)$/.exec(line);
    if (match) values[match[1]] = Number(match[2]);
  }
  return values;
}
const rssMb = async () => (await scrape()).process_resident_memory_bytes / 2 ** 20;
const ipOf = (name: string) => fake.podIp(name, "bench");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

/** A UDP socket bound to a pod's address that counts the replies it gets. */
function podSocket(source: string) {
  const conn = Deno.listenDatagram({ hostname: source, port: 0, transport: "udp" });
  const state = { replies: 0, servfail: 0, closed: false };
  (async () => {
    try {
      for (;;) {
        const [data] = await conn.receive();
        state.replies++;
        if ((data[3] & 0x0f) === 2) state.servfail++;
      }
    } catch { /* closed */ }
  })();
  return {
    state,
    send: (query: Uint8Array) => conn.send(query, { ...main.dns, transport: "udp" }),
    close: () => conn.close(),
  };
}

/**
 * The DNS server in this process with 40 pods, each holding 250 unknown search-suffixed names
 * (upstream: NXDOMAIN at once); the heap (after full GCs) and RSS before and with them held.
 */
async function heldQueryCost() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc (deno task bench:flood does)");
  const index = new NetworkIndex();
  const pods = Array.from({ length: 40 }, (_, i) => ({
    uid: `u${i}`,
    name: `holder${i}`,
    ips: [`127.0.5.${i + 1}`],
    aliases: [`h${i}`],
    networks: ["n"],
    answerable: true,
  }));
  index.replaceAll(pods);
  const state = DnsServerState.fromConfig({ ...DEFAULT_CONFIG, waitTimeoutMs: 30_000 });
  const nxdomain: Upstream = {
    exchange(message, questionEnd) {
      const reply = message.slice(0, questionEnd);
      reply[2] = 0x81;
      reply[3] = 0x83;
      reply.fill(0, 6, 12);
      return Promise.resolve(reply);
    },
    close() {},
  };
  const server = startDnsServer({
    ...testServerOptions(index, nxdomain),
    searchSuffix: "h.svc.cluster.local",
    state,
  });
  const sockets = pods.map((pod) =>
    Deno.listenDatagram({ hostname: pod.ips[0], port: 0, transport: "udp" })
  );
  try {
    await sleep(200);
    gc();
    gc();
    const before = Deno.memoryUsage();
    for (let round = 0; round < 250; round++) {
      for (const [i, socket] of sockets.entries()) {
        await socket.send(encodeQuery(`x${round}-${i}.h.svc.cluster.local`, "A", round), {
          ...server.address,
          transport: "udp",
        });
      }
      await sleep(2); // 20,000 queries/s: the socket buffer keeps up
    }
    await sleep(1_000);
    gc();
    gc();
    const during = Deno.memoryUsage();
    const held = state.holds.size;
    return {
      held,
      heapBytes: (during.heapUsed - before.heapUsed) / held,
      rssBytes: (during.rss - before.rss) / held,
      rssBeforeMb: before.rss / 2 ** 20,
      rssHeldMb: during.rss / 2 ** 20,
    };
  } finally {
    sockets.forEach((socket) => socket.close());
    await server.close();
  }
}

try {
  // pods: a flooder, and a victim asking its own name
  await fake.createPod(kubedockPod("flooder", ["flooder"], ["n3"]));
  await fake.createPod(kubedockPod("victim", ["victim"], ["n1"]));
  await until(() => Promise.resolve(!!ipOf("flooder") && !!ipOf("victim")), "pod IPs");
  await until(async () => (await scrape()).kubedock_dns_indexed_pods === 4, "indexed");
  await sleep(500);

  console.log(`kubedock-dns flood benchmark (--wait-timeout ${WAIT_TIMEOUT_S}s, default bounds)\n`);

  // 1. bytes per held query: in this process, so the heap can be measured after a full GC
  const perHeld = await heldQueryCost();
  console.log("1. held queries (the DNS server in this process, 40 pods, 250 unknown names each)");
  console.log(
    `   held at once: ${perHeld.held}; retained heap ${
      perHeld.heapBytes.toFixed(0)
    } bytes per held ` +
      `query (target <= 2048); RSS ${perHeld.rssBeforeMb.toFixed(1)} → ${
        perHeld.rssHeldMb.toFixed(1)
      } MB = ${perHeld.rssBytes.toFixed(0)} bytes per held query (V8's heap reserve included)`,
  );

  // 2. UDP flood from one pod while another asks its own name
  const flooder = podSocket(ipOf("flooder")!);
  const victimIp = ipOf("victim")!;
  const rssBefore = await rssMb();
  const latencies: number[] = [];
  let lost = 0;
  const victim = (async () => {
    const conn = Deno.listenDatagram({ hostname: victimIp, port: 0, transport: "udp" });
    try {
      for (let i = 0; i < 400; i++) { // 8 s at one query per 20 ms
        const started = performance.now();
        await conn.send(encodeQuery("victim", "A", i), { ...main.dns, transport: "udp" });
        const reply = await Promise.race([
          conn.receive().then(([data]) => data),
          sleep(1_000).then(() => null),
        ]);
        if (!reply || decode(reply).answers.length !== 1) lost++;
        else latencies.push(performance.now() - started);
        await sleep(20);
      }
    } finally {
      conn.close();
    }
  })();
  let sent = 0;
  let rssDuring = 0;
  const floodStart = performance.now();
  while (performance.now() - floodStart < 8_000 && sent < 48_000) { // ~5,000 names per second
    for (let i = 0; i < 50; i++) {
      await flooder.send(encodeQuery(`flood-${sent}.${SUFFIX}`, "A", sent & 0xffff));
      sent++;
    }
    await sleep(10);
    if (sent % 10_000 < 50) rssDuring = Math.max(rssDuring, await rssMb());
  }
  const floodSeconds = (performance.now() - floodStart) / 1000;
  const during = await scrape();
  await victim;
  latencies.sort((a, b) => a - b);
  console.log("\n2. UDP flood");
  console.log(
    `   flooder sent ${sent} unknown names in ${floodSeconds.toFixed(1)} s ` +
      `(${
        (sent / floodSeconds).toFixed(0)
      }/s); held from it at the end: ${during.kubedock_dns_held_queries} (cap 256); SERVFAIL at once so far: ${
        during['kubedock_dns_held_queries_total{outcome="source_limit"}']
      }`,
  );
  console.log(
    `   victim's own name: ${latencies.length} answered, ${lost} lost or wrong; ` +
      `p50 ${latencies[Math.floor(latencies.length / 2)]?.toFixed(2)} ms, ` +
      `max ${latencies.at(-1)?.toFixed(2)} ms (target: all within 100 ms)`,
  );
  await until(async () => (await scrape()).kubedock_dns_held_queries === 0, "flood drained");
  const rssAfter = await rssMb();
  console.log(
    `   RSS before ${rssBefore.toFixed(1)} MB, during (max) ${rssDuring.toFixed(1)} MB, after ${
      rssAfter.toFixed(1)
    } MB`,
  );
  flooder.close();

  // 3. bytes per idle TCP connection
  const tcpIdle = await rssMb();
  const idle: net.Socket[] = [];
  let target = main.dns;
  const open = (source: string) =>
    new Promise<net.Socket>((resolve) => {
      const socket = net.connect({ ...target, host: target.hostname, localAddress: source });
      socket.on("error", () => {});
      socket.on("data", () => {});
      socket.once("connect", () => {
        socket.write(new Uint8Array([0])); // half a length prefix
        resolve(socket);
      });
      socket.once("close", () => resolve(socket));
    });
  for (let s = 0; s < 63; s++) {
    const batch = [];
    for (let c = 0; c < 16 && idle.length + batch.length < 1_000; c++) {
      batch.push(open(`127.0.3.${s + 1}`));
    }
    idle.push(...await Promise.all(batch));
  }
  await sleep(300);
  const tcpPeak = await scrape();
  const openCount = tcpPeak.kubedock_dns_tcp_connections;
  const tcpRss = tcpPeak.process_resident_memory_bytes / 2 ** 20;
  console.log("\n3. idle TCP connections");
  console.log(
    `   open: ${openCount}; RSS ${tcpIdle.toFixed(1)} → ${tcpRss.toFixed(1)} MB: ` +
      `${
        ((tcpRss - tcpIdle) * 2 ** 20 / openCount).toFixed(0)
      } bytes per connection (target <= 4096)`,
  );
  idle.forEach((socket) => socket.destroy());
  await until(async () => (await scrape()).kubedock_dns_tcp_connections === 0, "TCP closed");

  // 4. TCP flood: 10,000 idle connections from one pod, against a fresh replica (its RSS is not
  //    the earlier phases')
  const fresh = await setup.startAnother(["--wait-timeout", `${WAIT_TIMEOUT_S}s`]);
  const freshRss = async () =>
    Number(
      /^process_resident_memory_bytes (\d+)$/m.exec(
        await (await fetch(`http://127.0.0.1:${fresh.health.port}/metrics`)).text(),
      )?.[1],
    ) / 2 ** 20;
  await sleep(500);
  const rssFreshBefore = await freshRss();
  const flooderIp = ipOf("flooder")!;
  let opened = 0;
  target = fresh.dns;
  const tcpFloodStart = performance.now();
  while (opened < 10_000 && performance.now() - tcpFloodStart < 60_000) {
    const batch = await Promise.all(Array.from({ length: 100 }, () => open(flooderIp)));
    opened += batch.length;
    batch.forEach((socket) => socket.on("close", () => socket.destroy()));
  }
  const afterTcpFlood = await scrape(fresh.health.port);
  const rssFreshAfter = await freshRss();
  const udpCheck = Deno.listenDatagram({ hostname: victimIp, port: 0, transport: "udp" });
  await udpCheck.send(encodeQuery("victim", "A", 1), { ...fresh.dns, transport: "udp" });
  const udpReply = await Promise.race([udpCheck.receive().then(([d]) => d), sleep(1_000)]);
  udpCheck.close();
  const tcpReply = await new Promise<Uint8Array | null>((resolve) => {
    const socket = net.connect({
      host: fresh.dns.hostname,
      port: fresh.dns.port,
      localAddress: victimIp,
    });
    const query = encodeQuery("victim", "A", 2);
    socket.once("connect", () => socket.write(new Uint8Array([0, query.length, ...query])));
    socket.once("data", (data: Uint8Array) => {
      socket.destroy();
      resolve(new Uint8Array(data).subarray(2));
    });
    socket.once("error", () => resolve(null));
    setTimeout(() => resolve(null), 1_000);
  });
  console.log("\n4. TCP flood");
  console.log(
    `   flooder opened ${opened} idle connections in ${
      ((performance.now() - tcpFloodStart) / 1000).toFixed(1)
    } s; open now ${afterTcpFlood.kubedock_dns_tcp_connections} (cap 16 per source); evicted ${
      afterTcpFlood['kubedock_dns_tcp_connections_closed_total{reason="evicted"}']
    }`,
  );
  console.log(
    `   another pod: UDP ${
      udpReply instanceof Uint8Array && decode(udpReply).answers.length === 1
        ? "answered"
        : "NOT answered"
    }, TCP ${tcpReply && decode(tcpReply).answers.length === 1 ? "answered" : "NOT answered"}; ` +
      `RSS ${rssFreshBefore.toFixed(1)} MB before, ${
        rssFreshAfter.toFixed(1)
      } MB after (target < 150)`,
  );
} finally {
  await setup.stop();
}
