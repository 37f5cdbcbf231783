/** Query parsing (src/dns/wire/query.ts): the question, EDNS, and the bad-packet rules. */
import assert from "node:assert/strict";
import { parseQuery } from "../src/dns/wire/query.ts";
import { QTYPE } from "../src/dns/wire/message.ts";
import { decode, encodeQuery, parsedQuery } from "../src/testing/packet.ts";

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
