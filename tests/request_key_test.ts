/** The request key (src/dns/chain/request_key.ts): the memo gives back exactly what a fresh build gives. */
import assert from "node:assert/strict";
import type { DnsRequest } from "../src/dns/chain/handler.ts";
import { requestKey, sharingKey } from "../src/dns/chain/request_key.ts";
import { parseQuery } from "../src/dns/wire/query.ts";
import { seededRandom } from "./helpers/random.ts";

/** A query in wire form, built here: header, question, and an OPT record when `edns` is given. */
function wireQuery(
  name: string,
  qtype: number,
  qclass: number,
  cd: boolean,
  edns?: { size: number; dnssecOk: boolean },
): Uint8Array {
  const labels = name.split(".").flatMap((label) => [
    label.length,
    ...[...label].map((c) => c.charCodeAt(0)),
  ]);
  const opt = edns
    ? [0, 0, 41, edns.size >> 8, edns.size & 255, 0, 0, edns.dnssecOk ? 0x80 : 0, 0, 0, 0]
    : [];
  return new Uint8Array([
    0,
    1,
    1,
    cd ? 0x10 : 0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    edns ? 1 : 0,
    ...labels,
    0,
    qtype >> 8,
    qtype & 255,
    qclass >> 8,
    qclass & 255,
    ...opt,
  ]);
}

Deno.test("request keys, memoized or not, are the keys built from every field", () => {
  // few names (their slots are reused often) asked with every field varied, in random order:
  // a memo that forgot one field would hand back another variant's key
  const next = seededRandom(11);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const names = ["db", "Db", "cache.bench.test", "f1.bench.test", "x".repeat(60) + ".test"];
  let memoHits = 0;
  const seen = new Map<string, string>();
  for (let i = 0; i < 20_000; i++) {
    const bytes = wireQuery(
      pick(names),
      pick([1, 28, 33, 12, 3, 65535]),
      pick([1, 1, 1, 3, 254]),
      next() < 0.2,
      next() < 0.5 ? { size: pick([512, 1232, 4096]), dnssecOk: next() < 0.3 } : undefined,
    );
    const parsed = parseQuery(bytes);
    assert.ok(parsed.kind === "query");
    const request: DnsRequest = {
      query: parsed.query,
      source: "127.0.0.2",
      transport: next() < 0.2 ? "tcp" : "udp",
      receivedAt: 0,
    };
    const expected = sharingKey(request);
    const key = requestKey(request);
    assert.equal(key, expected);
    assert.equal(request.key, expected);
    if (seen.has(expected)) memoHits++;
    seen.set(expected, key);
  }
  assert.ok(seen.size > 500, `the variants covered: ${seen.size}`);
  assert.ok(memoHits > 10_000, `questions asked again: ${memoHits}`);
});

Deno.test("a name too long for the parse table still gets its key", () => {
  const long = Array.from({ length: 5 }, (_, i) => `label${i}`.padEnd(20, "x")).join(".");
  const parsed = parseQuery(wireQuery(long, 1, 1, false));
  assert.ok(parsed.kind === "query");
  assert.equal(parsed.query.nameSlot, -1);
  const request: DnsRequest = {
    query: parsed.query,
    source: "127.0.0.2",
    transport: "udp",
    receivedAt: 0,
  };
  assert.equal(requestKey(request), `1/1/udp/0/0/0/${long}`);
});
