import assert from "node:assert/strict";
import { NetworkIndex } from "../src/index/network_index.ts";
import type { PodRecord } from "../src/index/pod_record.ts";

function pod(uid: string, over: Partial<PodRecord> = {}): PodRecord {
  return {
    uid,
    name: uid,
    ips: ["127.0.0.2"],
    aliases: ["db"],
    networks: ["net1"],
    answerable: true,
    ...over,
  };
}

Deno.test("network index", async (t) => {
  await t.step("a pod in several networks with several aliases answers in each", () => {
    const index = new NetworkIndex();
    index.upsert(pod("a", { aliases: ["db", "postgres"], networks: ["net1", "net2"] }));
    for (const network of ["net1", "net2"]) {
      for (const alias of ["db", "postgres"]) {
        assert.deepEqual(index.addresses([network], alias), { v4: ["127.0.0.2"], v6: [] });
      }
    }
    assert.equal(index.addresses(["net3"], "db"), undefined);
    assert.deepEqual(index.networksOf("127.0.0.2"), ["net1", "net2"]);
    assert.equal(index.networkCount, 2);
  });

  await t.step("the same alias in two networks stays apart", () => {
    const index = new NetworkIndex();
    index.upsert(pod("db1", { ips: ["127.0.0.2"], networks: ["test1"] }));
    index.upsert(pod("db2", { ips: ["127.0.0.3"], networks: ["test2"] }));
    assert.deepEqual(index.addresses(["test1"], "db")?.v4, ["127.0.0.2"]);
    assert.deepEqual(index.addresses(["test2"], "db")?.v4, ["127.0.0.3"]);
    assert.deepEqual(index.networksOf("127.0.0.3"), ["test2"]);
    assert.deepEqual(index.networksOf("127.0.0.9"), []);
  });

  await t.step("readiness flips make a pod answerable and not, sources stay", () => {
    const index = new NetworkIndex();
    index.upsert(pod("a", { answerable: false }));
    assert.equal(index.addresses(["net1"], "db"), undefined);
    assert.deepEqual(
      index.networksOf("127.0.0.2"),
      ["net1"],
      "a starting pod still resolves names",
    );
    index.upsert(pod("a", { answerable: true }));
    assert.deepEqual(index.addresses(["net1"], "db")?.v4, ["127.0.0.2"]);
    assert.deepEqual(index.aliasesOfIp(["net1"], "127.0.0.2"), ["db"]);
    index.upsert(pod("a", { answerable: false }));
    assert.equal(index.addresses(["net1"], "db"), undefined);
    assert.deepEqual(index.aliasesOfIp(["net1"], "127.0.0.2"), []);
  });

  await t.step("deletion removes every entry of the pod", () => {
    const index = new NetworkIndex();
    index.upsert(pod("a", { aliases: ["db", "pg"], networks: ["n1", "n2"] }));
    index.remove("a");
    assert.equal(index.podCount, 0);
    assert.equal(index.networkCount, 0);
    assert.deepEqual(index.networksOf("127.0.0.2"), []);
    assert.equal(index.addresses(["n1", "n2"], "pg"), undefined);
    index.remove("a"); // removing twice is harmless
  });

  await t.step("IP reuse: removing the old pod keeps the new pod's entries", () => {
    const index = new NetworkIndex();
    index.upsert(pod("old", { ips: ["127.0.0.5"], aliases: ["db"], networks: ["n1"] }));
    index.upsert(pod("new", { ips: ["127.0.0.5"], aliases: ["cache"], networks: ["n2"] }));
    assert.deepEqual([...index.networksOf("127.0.0.5")].sort(), ["n1", "n2"]);
    index.remove("old");
    assert.deepEqual(index.networksOf("127.0.0.5"), ["n2"]);
    assert.deepEqual(index.addresses(["n2"], "cache")?.v4, ["127.0.0.5"]);
    assert.deepEqual(index.aliasesOfIp(["n2"], "127.0.0.5"), ["cache"]);
    assert.equal(index.addresses(["n1"], "db"), undefined);
  });

  await t.step("dual-stack IPs split by family", () => {
    const index = new NetworkIndex();
    index.upsert(pod("a", { ips: ["127.0.0.2", "fd00::2"] }));
    assert.deepEqual(index.addresses(["net1"], "db"), { v4: ["127.0.0.2"], v6: ["fd00::2"] });
    assert.deepEqual(index.networksOf("fd00::2"), ["net1"]);
  });

  await t.step("several pods with one alias rotate between lookups", () => {
    const index = new NetworkIndex();
    index.upsert(pod("a", { ips: ["127.0.0.2"] }));
    index.upsert(pod("b", { ips: ["127.0.0.3"] }));
    index.upsert(pod("c", { ips: ["127.0.0.4"] }));
    const firsts = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const v4 = index.addresses(["net1"], "db")!.v4;
      assert.deepEqual([...v4].sort(), ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
      firsts.add(v4[0]);
    }
    assert.equal(firsts.size, 3, "each of three lookups starts with another address");
  });

  await t.step("a source in two networks sees the alias of both, once each", () => {
    const index = new NetworkIndex();
    index.upsert(pod("db1", { ips: ["127.0.0.2"], networks: ["n1"] }));
    index.upsert(pod("db2", { ips: ["127.0.0.3"], networks: ["n2"] }));
    index.upsert(pod("both", { ips: ["127.0.0.4"], aliases: ["app"], networks: ["n1", "n2"] }));
    const v4 = index.addresses(index.networksOf("127.0.0.4"), "db")!.v4;
    assert.deepEqual([...v4].sort(), ["127.0.0.2", "127.0.0.3"]);
  });

  await t.step("listeners wake when an alias becomes answerable, and only then", () => {
    const index = new NetworkIndex();
    index.replaceAll([]);
    let calls = 0;
    const unsubscribe = index.onAnswerable((alias) => alias === "db" && calls++);
    index.upsert(pod("x", { aliases: ["other"] }));
    index.upsert(pod("a", { answerable: false }));
    assert.equal(calls, 0);
    index.upsert(pod("a", { answerable: true }));
    assert.equal(calls, 1);
    index.upsert(pod("a", { answerable: true, name: "renamed" }));
    assert.equal(calls, 1, "still answerable: no new wake-up");
    unsubscribe();
    index.upsert(pod("b", { ips: ["127.0.0.3"] }));
    assert.equal(calls, 1);
  });

  await t.step("replaceAll removes vanished pods and wakes after the whole list", () => {
    const index = new NetworkIndex();
    index.upsert(pod("gone", { ips: ["127.0.0.9"], aliases: ["old"] }));
    const seen: string[][] = [];
    index.onAnswerable((alias) => alias === "db" && seen.push([...index.networksOf("127.0.0.3")]));
    assert.equal(index.synced, false);
    index.replaceAll([
      pod("a"),
      pod("b", { ips: ["127.0.0.3"], aliases: ["x"], networks: ["net1"] }),
    ]);
    assert.equal(index.synced, true);
    assert.equal(index.get("gone"), undefined);
    assert.deepEqual(index.networksOf("127.0.0.9"), []);
    assert.ok(seen.length >= 1);
    assert.deepEqual(seen[0], ["net1"], "the listener saw the whole list applied");
  });
});
