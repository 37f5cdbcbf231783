/**
 * End to end through real sockets: the DNS server in this process, a real dnsmasq as upstream,
 * the real `dig` as client, sending from pod IPs on 127.0.0.x (docs/dns.md, every row).
 */
import assert from "node:assert/strict";
import { NetworkIndex } from "../src/index/network_index.ts";
import type { PodRecord } from "../src/index/pod_record.ts";
import { podRecord } from "../src/testing/records.ts";
import { startTestDnsServer } from "../src/testing/dns_server.ts";
import { DnsUpstream } from "../src/dns/upstream/upstream.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { BIG_TXT_NAME, freePort, startDnsmasq } from "../src/testing/dnsmasq.ts";

const WAIT_MS = 1_500;
const UPSTREAM_TIMEOUT_MS = 300;

const SEED: PodRecord[] = [
  podRecord("db1", ["127.0.0.2"], ["db"], ["test1"]),
  podRecord("service1", ["127.0.0.3"], ["service1"], ["test1"]),
  podRecord("db2", ["127.0.0.4"], ["db"], ["test2"]),
  podRecord("service2", ["127.0.0.5"], ["service2"], ["test2"]),
  podRecord("cache", ["127.0.0.6", "fd00::6"], ["cache", "frikandel.nl"], ["test1"]),
  podRecord("late", ["127.0.0.7"], ["late"], ["test1"], false),
  ...Array.from(
    { length: 40 },
    (_, i) => podRecord(`many${i}`, [`127.0.1.${i + 1}`], ["many"], ["test1"]),
  ),
];

Deno.test("DNS server end to end with dig and dnsmasq", async (t) => {
  const dnsmasq = await startDnsmasq({ "ext.example.test": ["192.0.2.7"] });
  const index = new NetworkIndex();
  index.replaceAll(SEED);
  const upstream = new DnsUpstream(dnsmasq.address, UPSTREAM_TIMEOUT_MS);
  const server = startTestDnsServer(index, upstream, {
    internalDomains: ["internal.test"],
    waitTimeoutMs: WAIT_MS,
    maxPending: 100,
  });
  const at = (source: string) => ({ server: server.address, source });

  try {
    await t.step(
      "a pod resolves an alias of its own network, authoritatively, with --ttl",
      async () => {
        const r = await dig("db", at("127.0.0.3"));
        assert.equal(r.status, "NOERROR", r.output);
        assert.ok(r.flags.includes("aa"), r.output);
        assert.deepEqual(answerData(r, "A"), ["127.0.0.2"]);
        assert.equal(r.answers[0].ttl, 10);
      },
    );

    await t.step("two networks with the same names are isolated from each other", async () => {
      assert.deepEqual(answerData(await dig("db", at("127.0.0.5")), "A"), ["127.0.0.4"]);
      const across = await dig("service1", at("127.0.0.5"));
      assert.deepEqual(answerData(across, "A"), [], across.output);
      assert.notEqual(across.status, "NOERROR", "test2 must not see test1's service1");
    });

    await t.step("a non-kubedock source never sees network names", async () => {
      const r = await dig("db.ci.svc.cluster.local", at("127.0.0.99"));
      assert.equal(r.status, "NXDOMAIN", r.output);
      assert.deepEqual(r.answers, []);
      const bare = await dig("db", at("127.0.0.99"));
      assert.deepEqual(bare.answers, [], bare.output);
      assert.ok(bare.elapsedMs < WAIT_MS, "a non-kubedock source is never held");
    });

    await t.step("the search suffix is removed and case is folded", async () => {
      const r = await dig("DB.Ci.Svc.Cluster.Local", at("127.0.0.3"));
      assert.deepEqual(answerData(r, "A"), ["127.0.0.2"], r.output);
      assert.ok(r.flags.includes("aa"));
    });

    await t.step("AAAA answers IPv6 addresses; a pod without one gets NODATA", async () => {
      const v6 = await dig("cache", { ...at("127.0.0.3"), type: "AAAA" });
      assert.deepEqual(answerData(v6, "AAAA"), ["fd00::6"], v6.output);
      const none = await dig("db", { ...at("127.0.0.3"), type: "AAAA" });
      assert.equal(none.status, "NOERROR");
      assert.ok(none.flags.includes("aa"));
      assert.deepEqual(none.answers, []);
    });

    await t.step("other types of a known alias are NODATA with AA", async () => {
      const r = await dig("db", { ...at("127.0.0.3"), type: "MX" });
      assert.equal(r.status, "NOERROR", r.output);
      assert.ok(r.flags.includes("aa"));
      assert.deepEqual(r.answers, []);
    });

    await t.step("aliases may contain dots", async () => {
      assert.deepEqual(answerData(await dig("frikandel.nl", at("127.0.0.2")), "A"), ["127.0.0.6"]);
    });

    await t.step("PTR for a pod of the client's networks names every alias", async () => {
      const r = await dig("6.0.0.127.in-addr.arpa", { ...at("127.0.0.3"), type: "PTR" });
      assert.deepEqual(answerData(r, "PTR"), ["cache.", "frikandel.nl."], r.output);
      assert.ok(r.flags.includes("aa"));
      const v6 = await dig(
        "6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
        { ...at("127.0.0.3"), type: "PTR" },
      );
      assert.deepEqual(answerData(v6, "PTR"), ["cache.", "frikandel.nl."], v6.output);
      const other = await dig("6.0.0.127.in-addr.arpa", { ...at("127.0.0.5"), type: "PTR" });
      assert.deepEqual(answerData(other, "PTR"), [], "test2 cannot reverse-resolve test1's pod");
    });

    await t.step("other names are forwarded and relayed", async () => {
      const r = await dig("ext.example.test", at("127.0.0.3"));
      assert.deepEqual(answerData(r, "A"), ["192.0.2.7"], r.output);
      assert.ok(r.flags.includes("aa"), "dnsmasq's own AA flag is relayed");
    });

    await t.step("upstream NXDOMAIN arrives as NXDOMAIN", async () => {
      const r = await dig("nope.example.test", at("127.0.0.3"));
      assert.equal(r.status, "NXDOMAIN", r.output);
    });

    await t.step("a held query is answered as soon as its pod becomes answerable", async () => {
      const pending = dig("late.ci.svc.cluster.local", at("127.0.0.3"));
      await new Promise((r) => setTimeout(r, 300));
      const flippedAt = performance.now();
      index.upsert(podRecord("late", ["127.0.0.7"], ["late"], ["test1"], true));
      const r = await pending;
      const afterFlipMs = performance.now() - flippedAt;
      assert.deepEqual(answerData(r, "A"), ["127.0.0.7"], r.output);
      assert.ok(r.flags.includes("aa"));
      assert.ok(
        afterFlipMs < 250,
        `answered ${afterFlipMs.toFixed(0)} ms after the pod turned ready`,
      );
      assert.equal(server.state.holds.size, 0);
    });

    await t.step("a held query gives up after --wait-timeout with upstream's answer", async () => {
      const r = await dig("never.ci.svc.cluster.local", at("127.0.0.3"));
      assert.equal(r.status, "NXDOMAIN", r.output);
      assert.ok(r.elapsedMs >= WAIT_MS - 50, `answered after ${r.elapsedMs.toFixed(0)} ms`);
      assert.ok(r.elapsedMs < WAIT_MS + 1_000, `answered after ${r.elapsedMs.toFixed(0)} ms`);
      assert.equal(server.state.holds.outcomes.timeout >= 1, true);
    });

    await t.step("names under --internal-domain are held too (search-suffixed form)", async () => {
      const pending = dig("kafka.internal.test.ci.svc.cluster.local", at("127.0.0.2"));
      await new Promise((r) => setTimeout(r, 200));
      index.upsert(podRecord("kafka", ["127.0.0.8"], ["kafka.internal.test"], ["test1"]));
      const r = await pending;
      assert.deepEqual(answerData(r, "A"), ["127.0.0.8"], r.output);
    });

    await t.step(
      "a truncated upstream reply is relayed with TC, and the TCP retry answered",
      async () => {
        const udpOnly = await dig(BIG_TXT_NAME, {
          ...at("127.0.0.3"),
          type: "TXT",
          extra: ["+noedns", "+ignore"],
        });
        assert.ok(udpOnly.flags.includes("tc"), udpOnly.output);
        const retried = await dig(BIG_TXT_NAME, {
          ...at("127.0.0.3"),
          type: "TXT",
          extra: ["+noedns"],
        });
        assert.match(retried.output, /Truncated, retrying in TCP mode/);
        assert.equal(retried.answers.length, 1, retried.output);
        assert.ok(!retried.flags.includes("tc"));
      },
    );

    await t.step("dig +tcp gets internal and forwarded answers", async () => {
      const internal = await dig("db", { ...at("127.0.0.3"), extra: ["+tcp"] });
      assert.deepEqual(answerData(internal, "A"), ["127.0.0.2"], internal.output);
      const forwarded = await dig("ext.example.test", { ...at("127.0.0.3"), extra: ["+tcp"] });
      assert.deepEqual(answerData(forwarded, "A"), ["192.0.2.7"], forwarded.output);
    });

    await t.step("our answers respect the client's UDP size and set TC", async () => {
      const classic = await dig("many", { ...at("127.0.0.3"), extra: ["+noedns", "+ignore"] });
      assert.ok(classic.flags.includes("tc"), classic.output);
      assert.ok(classic.answers.length < 40 && classic.answers.length > 0);
      const edns = await dig("many", { ...at("127.0.0.3"), extra: ["+bufsize=1232", "+ignore"] });
      assert.ok(!edns.flags.includes("tc"), edns.output);
      assert.equal(edns.answers.length, 40);
      const retried = await dig("many", { ...at("127.0.0.3"), extra: ["+noedns"] });
      assert.equal(retried.answers.length, 40, "dig's TCP retry gets them all");
    });
  } finally {
    await server.close();
    upstream.close();
    await dnsmasq.stop();
  }
});

Deno.test("upstream down: SERVFAIL within two upstream timeouts", async () => {
  const index = new NetworkIndex();
  index.replaceAll(SEED);
  const upstream = new DnsUpstream(
    { hostname: "127.0.0.1", port: freePort() },
    UPSTREAM_TIMEOUT_MS,
  );
  const server = startTestDnsServer(index, upstream, { waitTimeoutMs: WAIT_MS, maxPending: 100 });
  try {
    for (const extra of [[], ["+tcp"]]) {
      const r = await dig("ext.example.test", {
        server: server.address,
        source: "127.0.0.3",
        extra,
      });
      assert.equal(r.status, "SERVFAIL", r.output);
      assert.ok(r.elapsedMs < 2 * UPSTREAM_TIMEOUT_MS + 700, `took ${r.elapsedMs.toFixed(0)} ms`);
    }
    const internal = await dig("db", { server: server.address, source: "127.0.0.3" });
    assert.deepEqual(answerData(internal, "A"), ["127.0.0.2"], "internal answers need no upstream");
  } finally {
    await server.close();
    upstream.close();
  }
});
