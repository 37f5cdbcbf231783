/**
 * Forwarding is faithful: a scripted upstream shows fresh IDs, the client's ID restored, every
 * byte else relayed, mismatched replies ignored, one retry, then SERVFAIL.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { NetworkIndex } from "../src/index/network_index.ts";
import { startTestDnsServer } from "../src/testing/dns_server.ts";
import { DnsUpstream } from "../src/dns/upstream/upstream.ts";
import { setId } from "../src/dns/wire/message.ts";
import { decode, encodeQuery, packet, soaRecord } from "../src/testing/packet.ts";
import { RawUdpClient } from "./helpers/udp_client.ts";
import { type Script, scriptedUpstream } from "./helpers/scripted_upstream.ts";

/** A rich negative answer: NXDOMAIN, AD and CD bits, an SOA and an EDNS cookie. */
function richAnswer(query: Uint8Array): Uint8Array {
  const q = decode(query);
  const bytes = new Uint8Array(packet.encode({
    type: "response",
    id: q.id,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | packet.AUTHENTIC_DATA |
      packet.CHECKING_DISABLED | 3,
    questions: q.questions as packet.Question[],
    authorities: [soaRecord(60, 4)],
    additionals: [{
      type: "OPT",
      name: ".",
      udpPayloadSize: 1232,
      options: [{ code: 10, data: Buffer.from("0123456789abcdef") }],
      // deno-lint-ignore no-explicit-any
    } as any],
  }));
  return bytes;
}

/**
 * A server forwarding to a scripted upstream, one client on a source that is no kubedock pod,
 * `use` run with them, everything closed after (also when it fails). The cache is off: each query
 * here must reach the upstream (tests/cache_test.ts has it on).
 */
async function withForwarding(
  script: Script,
  timeoutMs: number,
  use: (
    ask: (query: Uint8Array, waitMs?: number) => Promise<Uint8Array | null>,
    upstream: ReturnType<typeof scriptedUpstream>,
    client: RawUdpClient,
  ) => Promise<void>,
): Promise<void> {
  const upstream = scriptedUpstream(script);
  const index = new NetworkIndex();
  index.replaceAll([]);
  const forwarder = new DnsUpstream(upstream.address, timeoutMs);
  const server = startTestDnsServer(index, forwarder, {
    waitTimeoutMs: 1000,
    maxPending: 10,
    cacheSize: 0,
  });
  const client = new RawUdpClient("127.0.0.9");
  try {
    await use((query, waitMs) => client.exchange(query, server.address, waitMs), upstream, client);
  } finally {
    client.close();
    await server.close();
    forwarder.close();
    await upstream.close();
  }
}

Deno.test("forwarding", async (t) => {
  await t.step(
    "fresh IDs upstream; the reply relayed byte for byte with the client's ID",
    () =>
      withForwarding((q) => [richAnswer(q)], 300, async (ask, upstream) => {
        for (let i = 0; i < 8; i++) {
          const reply = await ask(encodeQuery("nope.example.test", "A", 1000 + i, 1232));
          assert.ok(reply, "an answer arrives");
          const expected = richAnswer(upstream.seen[i]);
          setId(expected, 1000 + i);
          assert.deepEqual(reply, expected, "every byte but the ID as upstream sent it");
          assert.equal(decode(reply).rcode, "NXDOMAIN");
        }
        const upstreamIds = new Set(upstream.seen.map((q) => decode(q).id));
        assert.ok(upstreamIds.size >= 7, "upstream IDs are random, not the client's");
        assert.ok(upstream.seen.some((q, i) => decode(q).id !== 1000 + i));
      }),
  );

  await t.step("replies with a wrong ID or question are ignored", () => {
    const script: Script = (q) => {
      const wrongId = richAnswer(q);
      wrongId[0] ^= 0xff;
      const other = richAnswer(encodeQuery("other.example.test", "A", decode(q).id));
      return [wrongId, other, richAnswer(q)];
    };
    return withForwarding(script, 300, async (ask, _upstream, client) => {
      const reply = await ask(encodeQuery("nope.example.test", "A", 55));
      assert.ok(reply);
      assert.equal(decode(reply).questions[0].name, "nope.example.test");
      assert.equal(decode(reply).id, 55);
      assert.equal(await client.receive(300), null, "exactly one reply reaches the client");
    });
  });

  await t.step(
    "a query sent back unchanged (QR clear) is no reply: SERVFAIL, not an echo",
    // what an upstream port that is our own socket's also looks like: each query comes back
    () =>
      withForwarding((q) => [q], 150, async (ask, upstream) => {
        const reply = await ask(encodeQuery("echo.example.test", "A", 56));
        assert.ok(reply);
        assert.equal(decode(reply).rcode, "SERVFAIL");
        assert.equal(decode(reply).id, 56);
        assert.equal(upstream.seen.length, 2, "asked twice (the retry), both echoes ignored");
      }),
  );

  await t.step(
    "a lost query is retried once with a new ID",
    () =>
      withForwarding(
        (q, count) => count === 1 ? [] : [richAnswer(q)],
        200,
        async (ask, upstream) => {
          const reply = await ask(encodeQuery("nope.example.test", "A", 56));
          assert.ok(reply);
          assert.equal(decode(reply).id, 56);
          assert.equal(upstream.seen.length, 2);
          assert.notEqual(decode(upstream.seen[0]).id, decode(upstream.seen[1]).id);
        },
      ),
  );

  await t.step(
    "no reply to both attempts: SERVFAIL",
    () =>
      withForwarding(() => [], 200, async (ask, upstream) => {
        const started = performance.now();
        const reply = await ask(encodeQuery("nope.example.test", "A", 57), 2000);
        assert.ok(reply);
        assert.equal(decode(reply).rcode, "SERVFAIL");
        assert.equal(decode(reply).id, 57);
        assert.equal(upstream.seen.length, 2);
        assert.ok(performance.now() - started >= 380);
      }),
  );
});
