/**
 * The cache, serve-stale and upstream failover through the real server, against a scripted
 * upstream (whose answers and outages the test decides) and a real dnsmasq.
 */
import assert from "node:assert/strict";
import { DnsUpstream } from "../src/dns/upstream/upstream.ts";
import { NetworkIndex } from "../src/index/network_index.ts";
import { freePort } from "../src/fake/free_port.ts";
import { dig } from "./helpers/dig.ts";
import { startDnsmasq } from "../src/testing/dnsmasq.ts";
import { startTestDnsServer, type TestServerOverrides } from "../src/testing/dns_server.ts";
import { decode, encodeQuery, packet, soaRecord } from "../src/testing/packet.ts";
import { scriptedUpstream } from "./helpers/scripted_upstream.ts";
import { RawUdpClient } from "./helpers/udp_client.ts";

const TIMEOUT_MS = 200;

/** An answer to `query` with one A record of `ttl`, or NXDOMAIN with an SOA of `ttl`/`minimum`. */
function answer(query: Uint8Array, ttl: number, negative?: { minimum: number }): Uint8Array {
  const q = decode(query);
  const name = q.questions[0].name;
  return new Uint8Array(packet.encode({
    type: "response",
    id: q.id,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (negative ? 3 : 0),
    questions: q.questions as packet.Question[],
    answers: negative ? [] : [{ type: "A", name, ttl, data: "192.0.2.7" }],
    authorities: negative ? [soaRecord(ttl, negative.minimum)] : [],
  }));
}

function start(upstream: DnsUpstream, overrides: TestServerOverrides = {}) {
  const server = startTestDnsServer(new NetworkIndex(), upstream, overrides);
  const client = new RawUdpClient("127.0.0.9");
  let id = 1;
  return {
    server,
    ask: async (name: string) => {
      const started = performance.now();
      const bytes = await client.exchange(encodeQuery(name, "A", id++), server.address, 3_000);
      assert.ok(bytes, `an answer for ${name}`);
      return { reply: decode(bytes), bytes, ms: performance.now() - started };
    },
    async close() {
      client.close();
      await server.close();
      upstream.close();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("the cache against a real dnsmasq", async (t) => {
  const dnsmasq = await startDnsmasq({ "api.example.test": ["192.0.2.10", "2001:db8::10"] }, {
    localTtl: 60,
  });
  const upstream = new DnsUpstream(dnsmasq.address, TIMEOUT_MS);
  const s = start(upstream);
  try {
    await t.step("a cached reply is the first but for ID and TTLs decremented", async () => {
      const first = await s.ask("api.example.test");
      await sleep(1_100);
      const second = await s.ask("API.example.test");
      assert.equal(upstream.servers[0].attempts, 1, "the second came from the cache");
      const { reply: a } = first;
      const { reply: b } = second;
      assert.notEqual(a.id, b.id);
      assert.equal(b.flags, a.flags);
      assert.equal(b.rcode, a.rcode);
      assert.deepEqual(b.questions, [{ name: "API.example.test", type: "A", class: "IN" }]);
      assert.equal(b.answers.length, 1);
      for (let i = 0; i < a.answers.length; i++) {
        const { ttl: ttlA, ...restA } = a.answers[i];
        const { ttl: ttlB, ...restB } = b.answers[i];
        // dnsmasq names the answer by a pointer to the question: it reads in the client's case
        assert.deepEqual(
          { ...restB, name: restB.name.toLowerCase() },
          restA,
          "name, type, class, data as dnsmasq sent them",
        );
        assert.equal(restB.name, "API.example.test");
        assert.ok(ttlB < ttlA && ttlB >= ttlA - 2, `TTL ${ttlA} → ${ttlB}`);
      }
      assert.deepEqual(b.authorities, a.authorities);
      assert.deepEqual(b.additionals, a.additionals);
      assert.equal(second.bytes.length, first.bytes.length);
      assert.equal(s.server.state.cache.stats.hits, 1);
    });

    await t.step("TCP failover: a refused first upstream, dnsmasq second", async () => {
      const dead = { hostname: "127.0.0.1", port: freePort() };
      const pair = new DnsUpstream([dead, dnsmasq.address], TIMEOUT_MS);
      const other = start(pair, { cacheSize: 0 });
      try {
        const result = await dig("api.example.test", {
          server: other.server.address,
          extra: ["+tcp"],
        });
        assert.equal(result.status, "NOERROR", result.output);
        assert.deepEqual(result.answers.map((r) => r.data), ["192.0.2.10"]);
        assert.equal(pair.servers[0].stats.errors, 1, "the first attempt went to the dead one");
        assert.equal(pair.servers[1].attempts, 1);
        for (let i = 0; i < 2; i++) {
          await dig("api.example.test", { server: other.server.address, extra: ["+tcp"] });
        }
        assert.equal(pair.servers[0].up, true, "TCP failures alone do not mark it down");
      } finally {
        await other.close();
      }
    });
  } finally {
    await s.close();
    await dnsmasq.stop();
  }
});

Deno.test("what is not cached, and the negative cap", async (t) => {
  let ttl = 0;
  let negative: { minimum: number } | undefined;
  const scripted = scriptedUpstream((q) => [answer(q, ttl, negative)]);
  const s = start(new DnsUpstream(scripted.address, TIMEOUT_MS), { cacheNegativeTtlMs: 1_000 });
  try {
    await t.step("TTL 0 is asked upstream every time", async () => {
      await s.ask("zero.example.test");
      await s.ask("zero.example.test");
      assert.equal(scripted.seen.length, 2);
    });
    await t.step("NXDOMAIN with SOA minimum 3600 is kept only --cache-negative-ttl", async () => {
      ttl = 3600;
      negative = { minimum: 3600 };
      const first = await s.ask("gone.example.test");
      assert.equal(first.reply.rcode, "NXDOMAIN");
      await s.ask("gone.example.test");
      assert.equal(scripted.seen.length, 3, "kept within the cap");
      await sleep(1_100);
      await s.ask("gone.example.test");
      assert.equal(scripted.seen.length, 4, "asked again once the 1 s cap passed");
    });
  } finally {
    await s.close();
    await scripted.close();
  }
});

Deno.test("serve-stale: dnsmasq stopped mid-run and started again", async () => {
  const hosts = { "old.example.test": ["192.0.2.20"], "new.example.test": ["192.0.2.21"] };
  let dnsmasq = await startDnsmasq(hosts, { localTtl: 1 });
  const { port } = dnsmasq.address;
  const upstream = new DnsUpstream(dnsmasq.address, TIMEOUT_MS, { probeIntervalMs: 100 });
  const s = start(upstream);
  try {
    assert.deepEqual(answerTtls(await s.ask("old.example.test")), [1]);
    await sleep(1_100); // expired
    await dnsmasq.stop();

    const stale = await s.ask("old.example.test");
    assert.equal(stale.reply.rcode, "NOERROR");
    assert.deepEqual(answerTtls(stale), [30], "the expired entry, TTL 30");
    assert.ok(stale.ms >= 2 * TIMEOUT_MS - 20, "after both attempts failed");
    const fresh = await s.ask("new.example.test");
    assert.equal(fresh.reply.rcode, "SERVFAIL", "nothing to fall back on");
    assert.ok(fresh.ms >= 2 * TIMEOUT_MS - 20);
    assert.equal(upstream.allDown(), true);

    const atOnce = await s.ask("old.example.test");
    assert.deepEqual(answerTtls(atOnce), [30]);
    assert.ok(atOnce.ms < TIMEOUT_MS, `with the upstream down, stale at once (${atOnce.ms} ms)`);

    dnsmasq = await startDnsmasq(hosts, { localTtl: 1, port });
    const deadline = performance.now() + 3_000;
    while (upstream.allDown() && performance.now() < deadline) await sleep(20);
    assert.equal(upstream.allDown(), false, "the probe saw it answer again");
    const recovered = await s.ask("new.example.test");
    assert.equal(recovered.reply.rcode, "NOERROR");
    const renewed = await s.ask("old.example.test");
    assert.ok(answerTtls(renewed)[0] <= 1, "a fresh answer again, not the stale one");
    assert.ok(s.server.state.cache.stats.stale >= 2);
  } finally {
    await s.close();
    await dnsmasq.stop();
  }
});

Deno.test("two upstreams, the first dead: the second's speed once it is marked down", async () => {
  let firstDead = true;
  const first = scriptedUpstream((q) => firstDead ? [] : [answer(q, 60)]);
  const second = scriptedUpstream((q) => [answer(q, 60)]);
  const upstream = new DnsUpstream([first.address, second.address], TIMEOUT_MS, {
    probeIntervalMs: 100,
  });
  const s = start(upstream, { cacheSize: 0 });
  try {
    const before = [await s.ask("a1.example.test"), await s.ask("a2.example.test")];
    for (const { reply, ms } of before) {
      assert.equal(reply.rcode, "NOERROR");
      assert.ok(ms >= TIMEOUT_MS - 20, "each waited for the first upstream's timeout");
    }
    assert.deepEqual(upstream.servers.map((u) => u.up), [false, true]);
    const after: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { reply, ms } = await s.ask(`b${i}.example.test`);
      assert.equal(reply.rcode, "NOERROR");
      after.push(ms);
    }
    // any query sent to the dead one first would take at least one timeout
    assert.ok(Math.max(...after) < TIMEOUT_MS, `none waited for the dead one: ${after}`);
    assert.equal(queries(first.seen), 2, "the dead one was not asked again, only probed");

    firstDead = false;
    const deadline = performance.now() + 3_000;
    while (!upstream.servers[0].up && performance.now() < deadline) await sleep(20);
    assert.equal(upstream.servers[0].up, true, "probed back up");
    const asked = queries(first.seen);
    await s.ask("c.example.test");
    assert.equal(queries(first.seen), asked + 1, "the first is used again");
  } finally {
    await s.close();
    await first.close();
    await second.close();
  }
});

/** Queries among `seen` that are not the health probe (`. NS`). */
function queries(seen: Uint8Array[]): number {
  return seen.filter((q) => decode(q).questions[0].name !== ".").length;
}

function answerTtls(result: { reply: { answers: { ttl: number }[] } }): number[] {
  return result.reply.answers.map((r) => r.ttl);
}
