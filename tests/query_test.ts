/** Query parsing (src/dns/wire/query.ts): the question, EDNS, and the bad-packet rules. */
import assert from "node:assert/strict";
import { parseQuery } from "../src/dns/wire/query.ts";
import { QTYPE } from "../src/dns/wire/message.ts";
import { decode, encodeQuery, parsedQuery } from "../src/testing/packet.ts";
import { seededRandom } from "./helpers/random.ts";

Deno.test("parsing queries", async (t) => {
  await t.step("reads name, type, class and the EDNS size of a query", () => {
    const query = parsedQuery(encodeQuery("DB.Example.", "AAAA", 77, 4096));
    assert.equal(query.id, 77);
    assert.equal(query.name, "db.example");
    assert.equal(query.qtype, QTYPE.AAAA);
    assert.equal(query.qclass, 1);
    assert.equal(query.ednsSize, 4096);
    assert.equal(parsedQuery(encodeQuery("db", "A")).ednsSize, 0);
    const dotted = encodeQuery("ab", "A");
    dotted[13] = 46; // the label "a.b"... written as one label "\x2eb"
    assert.equal(parsedQuery(dotted).name, "\\.b", "a dot inside a label is escaped");
  });

  await t.step("bad packets: drop, NOTIMP or FORMERR", () => {
    const good = encodeQuery("db", "A");
    assert.equal(parseQuery(good.slice(0, 11)).kind, "drop");
    const response = good.slice();
    response[2] |= 0x80;
    assert.equal(parseQuery(response).kind, "drop");
    const notify = good.slice();
    notify[2] |= 4 << 3;
    const rejected = parseQuery(notify);
    assert.equal(rejected.kind, "reject");
    if (rejected.kind === "reject") assert.equal(decode(rejected.response).rcode, "NOTIMP");
    for (const qdcount of [0, 2]) {
      const bad = good.slice();
      bad[5] = qdcount;
      const r = parseQuery(bad);
      assert.equal(r.kind, "reject");
      if (r.kind === "reject") {
        assert.equal(decode(r.response).rcode, "FORMERR");
      }
    }
    const loop = good.slice();
    loop.set([0xc0, 12], 12); // the question's name points at itself
    assert.equal(parseQuery(loop).kind, "reject");
    const longLabel = good.slice();
    longLabel[12] = 64;
    assert.equal(parseQuery(longLabel).kind, "reject");
    assert.equal(parseQuery(good.slice(0, good.length - 2)).kind, "reject", "cut question");
  });
});

Deno.test("question names read again come back right, whatever the table of recent names holds", () => {
  // 9,000 names (more than the table's 4,096 slots, so slots are shared and overwritten), with
  // capitals, dots and backslashes inside labels, some longer than the 64 wire bytes it keeps;
  // each parsed three times in shuffled order and compared with the text built here
  const next = seededRandom(7); // a failure replays
  const alphabet = "abcdXYZ09-.\\";
  const names = Array.from({ length: 9_000 }, () =>
    Array.from(
      { length: 1 + Math.floor(next() * 4) },
      () =>
        Array.from(
          { length: 1 + Math.floor(next() * (next() < 0.1 ? 40 : 8)) },
          () => alphabet[Math.floor(next() * alphabet.length)],
        ).join(""),
    ));
  const wire = (labels: string[]) => {
    const bytes = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for (const label of labels) bytes.push(label.length, ...[...label].map((c) => c.charCodeAt(0)));
    return new Uint8Array([...bytes, 0, 0, 1, 0, 1]);
  };
  const expected = (labels: string[]) =>
    labels.map((label) => label.toLowerCase().replace(/[.\\]/g, (c) => `\\${c}`)).join(".");
  const order = [...names.keys(), ...names.keys(), ...names.keys()];
  for (let i = order.length - 1; i > 0; i--) { // Fisher-Yates
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let long = 0;
  for (const i of order) {
    const message = wire(names[i]);
    if (message.length - 16 > 64) long++;
    const parsed = parseQuery(message);
    assert.ok(parsed.kind === "query");
    assert.equal(parsed.query.name, expected(names[i]), `name ${i}`);
    assert.equal(parsed.query.questionEnd, message.length);
  }
  assert.ok(long > 0, "some names are longer than the table keeps");
});

Deno.test("the table of recent names replaces, of two names sharing a hash, the one read less lately", () => {
  const slotOf = (name: string) => {
    const parsed = parseQuery(encodeQuery(name, "A"));
    assert.ok(parsed.kind === "query");
    return parsed.query.nameSlot;
  };
  // three names whose hashes pick the same pair of slots, found by asking
  const byPair = new Map<number, string[]>();
  let same: string[] = [];
  for (let i = 0; same.length < 3; i++) {
    const name = `n${i}.lru.test`;
    const pair = slotOf(name) >> 1;
    const names = [...(byPair.get(pair) ?? []), name];
    byPair.set(pair, names);
    same = names;
  }
  const [a, b, c] = same;
  const first = slotOf(a);
  slotOf(b); // the pair's other slot
  assert.equal(slotOf(a), first, "read again: found where it was");
  slotOf(c); // replaces b, read less lately than a
  assert.equal(slotOf(a), first, "a stayed");
  assert.notEqual(slotOf(b), -1);
});
