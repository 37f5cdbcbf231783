/**
 * The reply cache's pure parts: how long a reply may be kept (RFC 2308 for negative ones), what a
 * reply from the cache differs in, the LRU bound under 100,000 distinct names, serve-stale.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { cacheHandler } from "../src/dns/chain/cache.ts";
import type { DnsRequest } from "../src/dns/chain/handler.ts";
import { parseQuery } from "../src/dns/wire/query.ts";
import { ReplyCache, STALE_TTL } from "../src/dns/chain/reply_cache.ts";
import { cacheSeconds, rewriteTtls } from "../src/dns/chain/reply_ttl.ts";
import { decode, encodeQuery, packet, soaRecord } from "../src/testing/packet.ts";

const LIMITS = { maxTtl: 300, negativeTtl: 5 };

type Answer = packet.Answer;

/** A reply to `name` A built with dns-packet: `rcode`, answers, authorities, an OPT with DO set. */
function reply(
  name: string,
  options: { rcode?: number; tc?: boolean; answers?: Answer[]; authorities?: Answer[] } = {},
): Uint8Array {
  return new Uint8Array(packet.encode({
    type: "response",
    id: 1,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (options.rcode ?? 0) |
      (options.tc ? packet.TRUNCATED_RESPONSE : 0),
    questions: [{ type: "A", name, class: "IN" }],
    answers: options.answers ?? [],
    authorities: options.authorities ?? [],
    additionals: [{
      type: "OPT",
      name: ".",
      udpPayloadSize: 1232,
      flags: packet.DNSSEC_OK, // its "TTL" field is not a TTL: 0x00008000
      options: [{ code: 10, data: Buffer.from("0123456789abcdef") }],
      // deno-lint-ignore no-explicit-any
    } as any],
  }));
}

const a = (name: string, ttl: number, ip = "192.0.2.7"): Answer => ({
  type: "A",
  name,
  ttl,
  data: ip,
});
const soa = soaRecord;

function request(name: string, id = 9, receivedAt = 0): DnsRequest {
  const parsed = parseQuery(encodeQuery(name, "A", id, 1232));
  assert.ok(parsed.kind === "query");
  return { query: parsed.query, source: "127.0.0.2", transport: "udp", receivedAt };
}

Deno.test("how long a reply is kept", async (t) => {
  await t.step("positive: the smallest TTL of every section, capped; OPT is not a TTL", () => {
    const r = reply("x.example.test", {
      answers: [a("x.example.test", 120), a("x.example.test", 90, "192.0.2.8")],
      authorities: [soa(200, 50)],
    });
    assert.equal(cacheSeconds(r, LIMITS), 90);
    assert.equal(cacheSeconds(reply("x.example.test", { answers: [a("x", 9000)] }), LIMITS), 300);
  });
  await t.step("TTL 0 anywhere: not kept", () => {
    const r = reply("x.example.test", { answers: [a("x.example.test", 60), a("x", 0)] });
    assert.equal(cacheSeconds(r, LIMITS), 0);
  });
  await t.step("negative: min(SOA TTL, SOA MINIMUM), capped; without an SOA not kept", () => {
    const nx = (authorities: Answer[]) => reply("nope.example.test", { rcode: 3, authorities });
    assert.equal(cacheSeconds(nx([soa(60, 3)]), LIMITS), 3);
    assert.equal(cacheSeconds(nx([soa(2, 60)]), LIMITS), 2);
    assert.equal(cacheSeconds(nx([soa(3600, 3600)]), LIMITS), 5, "--cache-negative-ttl caps");
    assert.equal(cacheSeconds(nx([]), LIMITS), 0);
    const nodata = reply("x.example.test", { authorities: [soa(60, 4)] });
    assert.equal(cacheSeconds(nodata, LIMITS), 4);
    assert.equal(cacheSeconds(nx([soa(60, 3)]), { ...LIMITS, negativeTtl: 0 }), 0);
  });
  await t.step("SERVFAIL, REFUSED, truncated and unreadable replies: not kept", () => {
    const answers = [a("x.example.test", 60)];
    assert.equal(cacheSeconds(reply("x.example.test", { rcode: 2, answers }), LIMITS), 0);
    assert.equal(cacheSeconds(reply("x.example.test", { rcode: 5, answers }), LIMITS), 0);
    assert.equal(cacheSeconds(reply("x.example.test", { tc: true, answers }), LIMITS), 0);
    const cut = reply("x.example.test", { answers }).subarray(0, 40);
    assert.equal(cacheSeconds(cut, LIMITS), 0);
  });
});

Deno.test("a reply from the cache", async (t) => {
  let now = 0;
  const cache = new ReplyCache({ ...LIMITS, maxEntries: 10, staleMs: 60_000 });
  const original = reply("db.example.test", {
    answers: [a("db.example.test", 120), a("db.example.test", 100, "192.0.2.8")],
    authorities: [soa(200, 50)],
  });
  assert.equal(cache.store("k", original, now), true);

  await t.step("differs only in ID, question case and TTLs lowered by the seconds kept", () => {
    now = 7_900; // 7 whole seconds
    const found = cache.lookup("k", now);
    assert.ok(found && cache.fresh(found, now));
    const query = request("DB.Example.TEST", 4321).query;
    const mine = decode(cache.answer(found, query, false, now));
    const first = decode(original);
    assert.equal(mine.id, 4321);
    assert.deepEqual(mine.questions, [{ name: "DB.Example.TEST", type: "A", class: "IN" }]);
    const withoutTtl = <T extends { ttl?: number }>(rs: T[]) =>
      rs.map(({ ttl: _, ...rest }) => rest);
    assert.deepEqual(withoutTtl(mine.answers), withoutTtl(first.answers));
    assert.deepEqual(withoutTtl(mine.authorities), withoutTtl(first.authorities));
    assert.deepEqual(mine.additionals, first.additionals, "OPT (DO bit, cookie) untouched");
    assert.deepEqual(mine.answers.map((r) => r.ttl), [113, 93]);
    assert.deepEqual(mine.authorities.map((r) => r.ttl), [193]);
    assert.equal(mine.flags, first.flags);
  });

  await t.step("expired: stale inside the window (TTL 30), gone after it", () => {
    now = 100_500;
    const found = cache.lookup("k", now);
    assert.ok(found && !cache.fresh(found, now), "stale");
    const stale = decode(cache.answer(found, request("db.example.test").query, true, now));
    assert.deepEqual(stale.answers.map((r) => r.ttl), [STALE_TTL, STALE_TTL]);
    now = 100_000 + 60_000;
    assert.equal(cache.lookup("k", now), undefined);
    assert.equal(cache.size, 0);
  });
});

Deno.test("the cache never exceeds --cache-size under 100,000 distinct names", async () => {
  const cache = new ReplyCache({ ...LIMITS, maxEntries: 1_000, staleMs: 3_600_000 });
  const handler = cacheHandler({ cache, upstreamsDown: () => false });
  const next = (r: DnsRequest) => {
    const bytes = reply(r.query.name, { answers: [a(r.query.name, 60)] });
    bytes.set(r.query.raw.subarray(0, 2), 0);
    return Promise.resolve(bytes);
  };
  let largest = 0;
  for (let i = 0; i < 100_000; i++) {
    await handler(request(`n${i}.example.test`), next);
    if (i % 7 === 0) await handler(request("hot.example.test"), next); // used often: kept
    largest = Math.max(largest, cache.size);
  }
  assert.equal(largest, 1_000);
  assert.equal(cache.size, 1_000);
  assert.equal(cache.stats.evictions, 100_001 - 1_000);
  const hitsBefore = cache.stats.hits;
  await handler(request("hot.example.test"), next);
  assert.equal(cache.stats.hits, hitsBefore + 1, "the hot name survived 100,000 others");
  await handler(request("n0.example.test"), next);
  assert.equal(cache.stats.hits, hitsBefore + 1, "the oldest went");
});

Deno.test("serve-stale in the handler", async (t) => {
  let now = 0;
  const cache = new ReplyCache({ ...LIMITS, maxEntries: 10, staleMs: 60_000 });
  let down = false;
  let asked = 0;
  const handler = cacheHandler({ cache, upstreamsDown: () => down, now: () => now });
  const ask = (name: string) => request(name, 9, now);
  const upstream = (fail: "none" | "silent" | "servfail") => (r: DnsRequest) => {
    asked++;
    if (fail === "silent") return Promise.resolve(null);
    const bytes = fail === "servfail"
      ? reply(r.query.name, { rcode: 2 })
      : reply(r.query.name, { answers: [a(r.query.name, 10)] });
    return Promise.resolve(bytes);
  };
  await handler(ask("x.example.test"), upstream("none"));
  now = 11_000; // expired

  await t.step("upstream silent or SERVFAIL: the expired entry answers, TTL 30", async () => {
    for (const fail of ["silent", "servfail"] as const) {
      const answer = decode((await handler(ask("x.example.test"), upstream(fail)))!);
      assert.equal(answer.rcode, "NOERROR");
      assert.deepEqual(answer.answers.map((r) => r.ttl), [30]);
    }
    assert.equal(cache.stats.stale, 2);
    const fresh = await handler(ask("new.example.test"), upstream("silent"));
    assert.equal(fresh, null, "nothing kept for a new name: the failure is the answer");
  });

  await t.step("every upstream down: answered at once, renewed in the background", async () => {
    down = true;
    asked = 0;
    const answer = handler(ask("x.example.test"), upstream("none"));
    assert.ok(answer instanceof Uint8Array, "answered without waiting for upstream");
    assert.deepEqual(decode(answer).answers.map((r) => r.ttl), [30]);
    assert.equal(asked, 1, "asked upstream behind the answer");
    await new Promise((r) => setTimeout(r, 0));
    down = false;
    const renewed = handler(ask("x.example.test"), upstream("none"));
    assert.ok(renewed instanceof Uint8Array, "the background answer is kept: a fresh hit");
    assert.deepEqual(decode(renewed).answers.map((r) => r.ttl), [10]);
  });
});

Deno.test("mutated replies: the TTL walk always ends, never throws, keeps nothing unreadable", () => {
  const good = reply("nope.example.test", { rcode: 3, authorities: [soa(60, 3)] });
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let kept = 0;
  for (let i = 0; i < 20_000; i++) {
    const bytes = good.slice(0, Math.max(12, Math.floor(good.length * (0.5 + random()))));
    for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    const seconds = cacheSeconds(bytes, LIMITS);
    assert.ok(seconds >= 0 && seconds <= LIMITS.maxTtl);
    if (seconds > 0) {
      kept++;
      assert.equal(rewriteTtls(bytes, 0), true, "what is kept can be walked again");
    }
  }
  assert.ok(kept > 0, "some mutations stay cacheable (the check is not vacuous)");
});

Deno.test("a lookup by memo slot finds what the map finds, whatever was stored, evicted or expired", () => {
  // Two caches see the same operations; `bySlot` is looked up with a slot, `byKey` without. Few
  // slots for many keys, and a key's slot changing between lookups (its name moved in the parse
  // table), so slots are shared, reused and left pointing at replaced or removed entries.
  const limits = { ...LIMITS, maxEntries: 8, staleMs: 20_000 };
  const bySlot = new ReplyCache(limits);
  const byKey = new ReplyCache(limits);
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
  const keys = Array.from({ length: 24 }, (_, i) => `1/1/udp/0/0/0/k${i}.test`);
  let now = 0;
  let stored = 0;
  let shortcuts = 0;
  for (let step = 0; step < 20_000; step++) {
    now += random(400);
    const key = keys[random(keys.length)];
    if (random(3) === 0) {
      const ttl = 1 + random(60);
      const bytes = reply(key, { answers: [a(key, ttl, `192.0.2.${++stored % 250}`)] });
      assert.equal(bySlot.store(key, bytes, now), byKey.store(key, bytes, now));
      continue;
    }
    const slot = random(4);
    const hit = bySlot.lookup(key, now, slot);
    const expected = byKey.lookup(key, now);
    assert.deepEqual(hit?.reply, expected?.reply, `step ${step}: ${key} in slot ${slot}`);
    if (hit && expected) assert.equal(bySlot.fresh(hit, now), byKey.fresh(expected, now));
    if (hit) shortcuts++;
  }
  assert.ok(shortcuts > 1_000, `lookups that found an entry: ${shortcuts}`);
  assert.equal(bySlot.size, byKey.size);
  assert.deepEqual(bySlot.stats, byKey.stats);
});
