/**
 * Bad packets never stop the server: specific malformed messages get their docs/dns.md
 * treatment, thousands of random and mutated ones from several sources change nothing, and
 * held queries stay bounded by --max-pending.
 */
import assert from "node:assert/strict";
import { NetworkIndex } from "../src/index/network_index.ts";
import type { PodRecord } from "../src/index/pod_record.ts";
import { podRecord } from "../src/testing/records.ts";
import { startTestDnsServer } from "../src/testing/dns_server.ts";
import { DnsUpstream } from "../src/dns/upstream/upstream.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { startDnsmasq } from "../src/testing/dnsmasq.ts";
import { decode, encodeQuery } from "../src/testing/packet.ts";
import { RawUdpClient } from "./helpers/udp_client.ts";
import { mutate, random } from "./helpers/mutate.ts";

const PODS: PodRecord[] = [
  podRecord("db1", ["127.0.0.2"], ["db"], ["n1"]),
  podRecord("app1", ["127.0.0.3"], ["app"], ["n1"]),
  podRecord("db2", ["127.0.0.4"], ["db"], ["n2"]),
];
const SOURCES = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.99"];

Deno.test("robustness against bad packets", async (t) => {
  const dnsmasq = await startDnsmasq({ "ext.example.test": ["192.0.2.7"] });
  const index = new NetworkIndex();
  index.replaceAll(PODS);
  const upstream = new DnsUpstream(dnsmasq.address, 300);
  const server = startTestDnsServer(index, upstream, { waitTimeoutMs: 300, maxPending: 50 });
  const clients = SOURCES.map((source) => new RawUdpClient(source));
  try {
    await t.step("each malformed kind gets its rule", async () => {
      const c = clients[1];
      const good = encodeQuery("db", "A", 300);
      const qr = good.slice();
      qr[2] |= 0x80;
      assert.equal(await c.exchange(qr, server.address, 300), null, "QR=1 is dropped");
      assert.equal(
        await c.exchange(good.slice(0, 7), server.address, 300),
        null,
        "short header dropped",
      );
      const notify = good.slice();
      notify[2] |= 4 << 3;
      assert.equal(decode((await c.exchange(notify, server.address))!).rcode, "NOTIMP");
      for (const qd of [0, 2]) {
        const bad = good.slice();
        bad[5] = qd;
        const reply = await c.exchange(bad, server.address);
        assert.equal(decode(reply!).rcode, "FORMERR", `QDCOUNT ${qd}`);
        assert.equal(decode(reply!).id, 300);
      }
      const loop = good.slice();
      loop.set([0xc0, 12], 12);
      assert.equal(decode((await c.exchange(loop, server.address))!).rcode, "FORMERR");
    });

    await t.step("thousands of random and mutated packets change nothing", async () => {
      const rnd = random(20261123);
      const bases = [
        "db",
        "app",
        "ext.example.test",
        "nope.example.test",
        "db.ci.svc.cluster.local",
      ]
        .map((name, i) => encodeQuery(name, i % 2 ? "AAAA" : "A", i, i % 3 ? 1232 : undefined));
      const batch = async () => {
        for (let i = 0; i < 2500; i++) {
          const client = clients[i % clients.length];
          await client.send(mutate(bases[i % bases.length], rnd), server.address);
          if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5)); // bounded rate
        }
        await new Promise((r) => setTimeout(r, 800)); // holds and forwards settle
      };
      await batch();
      const rssAfterFirst = Deno.memoryUsage().rss;
      await batch();
      const growthMb = (Deno.memoryUsage().rss - rssAfterFirst) / 2 ** 20;
      assert.ok(growthMb < 40, `RSS grew ${growthMb.toFixed(1)} MB over the second 2500 packets`);
      assert.ok(
        server.state.dispatch.dropped + server.state.dispatch.rejected > 1000,
        JSON.stringify(server.state.dispatch),
      );
      assert.equal(server.state.holds.size, 0, "no held query left behind");
      const r = await dig("db", { server: server.address, source: "127.0.0.3" });
      assert.deepEqual(answerData(r, "A"), ["127.0.0.2"], r.output);
      const other = await dig("db", { server: server.address, source: "127.0.0.4" });
      assert.deepEqual(answerData(other, "A"), ["127.0.0.4"], other.output);
      const ext = await dig("ext.example.test", { server: server.address, source: "127.0.0.99" });
      assert.deepEqual(answerData(ext, "A"), ["192.0.2.7"], ext.output);
    });

    await t.step("held queries past --max-pending get SERVFAIL at once", async () => {
      const c = clients[1];
      for (let i = 0; i < 50; i++) {
        await c.send(encodeQuery(`wait${i}.ci.svc.cluster.local`, "A", i), server.address);
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(server.state.holds.size, 50);
      const started = performance.now();
      await c.send(encodeQuery("overflow.ci.svc.cluster.local", "A", 999), server.address);
      let reply: Uint8Array | null;
      do reply = await c.receive(1000); while (reply && decode(reply).id !== 999);
      assert.ok(reply, "the overflowing query is answered");
      assert.equal(decode(reply).rcode, "SERVFAIL");
      assert.ok(performance.now() - started < 150, "at once, not after the wait");
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(server.state.holds.size, 0);
      assert.ok(server.state.holds.outcomes.overflow >= 1);
    });
  } finally {
    clients.forEach((c) => c.close());
    await server.close();
    upstream.close();
    await dnsmasq.stop();
  }
});

Deno.test("an idle TCP connection is closed after the idle timeout", async () => {
  const index = new NetworkIndex();
  index.replaceAll(PODS);
  const upstream = new DnsUpstream({ hostname: "127.0.0.1", port: 9 }, 300);
  const server = startTestDnsServer(index, upstream, { tcpIdleTimeoutMs: 200 });
  const conn = await Deno.connect(server.address);
  try {
    const started = performance.now();
    const read = await conn.read(new Uint8Array(16)).catch(() => null);
    const waited = performance.now() - started;
    assert.equal(read, null, "the server closed it");
    assert.ok(waited >= 150 && waited < 2_000, `closed after ${waited.toFixed(0)} ms`);
  } finally {
    conn.close();
    await server.close();
    upstream.close();
  }
});
