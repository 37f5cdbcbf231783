/** Replies the server builds (src/dns/wire/reply.ts, rdata.ts, message.ts), decoded independently. */
import assert from "node:assert/strict";
import { addressBytes, encodeName, reverseNameToIp } from "../src/dns/wire/rdata.ts";
import { buildResponse, responseLimit } from "../src/dns/wire/reply.ts";
import { QTYPE, RCODE, sameQuestion } from "../src/dns/wire/message.ts";
import { decode, encodeQuery, parsedQuery } from "../src/testing/packet.ts";

Deno.test("building replies", async (t) => {
  await t.step("answers decode with the reference decoder", () => {
    const query = parsedQuery(encodeQuery("Db", "A", 9, 1232));
    const bytes = buildResponse(
      query,
      RCODE.NOERROR,
      [{ type: QTYPE.A, data: addressBytes("127.0.0.2") }],
      { ttl: 10, authoritative: true, limit: 512 },
    );
    const decoded = decode(bytes);
    assert.equal(decoded.id, 9);
    assert.equal(decoded.flag_aa, true);
    assert.equal(decoded.flag_tc, false);
    assert.equal(decoded.flag_rd, true);
    assert.equal(decoded.questions[0].name, "Db", "the question is echoed as asked");
    assert.deepEqual(decoded.answers.map((a) => [a.name, a.type, a.ttl, a.data]), [[
      "Db",
      "A",
      10,
      "127.0.0.2",
    ]]);
    assert.equal(decoded.additionals[0].type, "OPT");
  });

  await t.step("PTR and AAAA data, truncation sets TC", () => {
    const query = parsedQuery(encodeQuery("x", "PTR"));
    const ptr = decode(
      buildResponse(query, 0, [{ type: QTYPE.PTR, data: encodeName("frikandel.nl") }], {
        ttl: 5,
        authoritative: true,
        limit: 512,
      }),
    );
    assert.equal(ptr.answers[0].data, "frikandel.nl");
    const aaaa = [{ type: QTYPE.AAAA, data: addressBytes("fd00::6") }];
    assert.equal(
      decode(buildResponse(query, 0, aaaa, { ttl: 1, authoritative: true, limit: 512 })).answers[0]
        .data,
      "fd00::6",
    );
    const many = Array.from(
      { length: 50 },
      (_, i) => ({ type: QTYPE.A, data: addressBytes(`127.0.1.${i}`) }),
    );
    const truncated = decode(
      buildResponse(query, 0, many, { ttl: 1, authoritative: true, limit: 512 }),
    );
    assert.equal(truncated.flag_tc, true);
    assert.ok(truncated.answers.length > 0 && truncated.answers.length < 50);
  });

  await t.step("response limits follow docs/dns.md", () => {
    assert.equal(responseLimit(parsedQuery(encodeQuery("a", "A")), "udp"), 512);
    assert.equal(responseLimit(parsedQuery(encodeQuery("a", "A", 1, 4096)), "udp"), 1232);
    assert.equal(responseLimit(parsedQuery(encodeQuery("a", "A", 1, 800)), "udp"), 800);
    assert.equal(responseLimit(parsedQuery(encodeQuery("a", "A", 1, 100)), "udp"), 512);
    assert.equal(responseLimit(parsedQuery(encodeQuery("a", "A")), "tcp"), 65535);
  });

  await t.step("reverse names and question matching", () => {
    assert.equal(reverseNameToIp("12.0.0.127.in-addr.arpa"), "127.0.0.12");
    assert.equal(reverseNameToIp("0.127.in-addr.arpa"), undefined);
    assert.equal(
      reverseNameToIp("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"),
      "fd00::1",
    );
    const q = encodeQuery("db.example", "A", 1);
    const r = encodeQuery("DB.EXAMPLE", "A", 2);
    const end = parsedQuery(q).questionEnd;
    assert.equal(sameQuestion(q, end, r), true);
    assert.equal(sameQuestion(q, end, encodeQuery("db.example", "AAAA", 2)), false);
  });
});
