/** The in-flight sharing handler alone: a stub `next` plays upstream, no sockets. */
import assert from "node:assert/strict";
import type { DnsRequest, DnsResolver } from "../src/dns/chain/handler.ts";
import { shareInFlight } from "../src/dns/chain/in_flight.ts";
import { parseQuery } from "../src/dns/wire/query.ts";
import { setId, type Transport } from "../src/dns/wire/message.ts";
import { decode, encodeQuery, packet } from "../src/testing/packet.ts";

function request(
  name: string,
  id: number,
  options: { transport?: Transport; udpSize?: number; source?: string; flags?: number } = {},
): DnsRequest {
  const bytes = encodeQuery(name, "A", id, options.udpSize);
  if (options.flags) bytes[3] |= options.flags;
  const parsed = parseQuery(bytes);
  assert.ok(parsed.kind === "query");
  return {
    query: parsed.query,
    source: options.source ?? "127.0.0.2",
    transport: options.transport ?? "udp",
    receivedAt: 0,
  };
}

/** An upstream that answers when told to, with the question it was asked (as sent). */
function heldUpstream() {
  const calls: DnsRequest[] = [];
  const releases: (() => void)[] = [];
  const next: DnsResolver = (r) => {
    calls.push(r);
    setId(r.query.raw, 0xbeef); // as the upstream does: the message goes out with a fresh ID
    return new Promise((resolve) =>
      releases.push(() =>
        resolve(
          new Uint8Array(packet.encode({
            type: "response",
            id: r.query.id,
            flags: packet.RECURSION_AVAILABLE,
            questions: [{ name: r.query.name, type: "A", class: "IN" }],
            answers: [{ name: r.query.name, type: "A", ttl: 60, data: "192.0.2.1" }],
          })),
        )
      )
    );
  };
  return { next, calls, release: () => releases.splice(0).forEach((r) => r()) };
}

Deno.test("in-flight sharing", async (t) => {
  await t.step("identical queries share one exchange; each gets its ID and case", async () => {
    const stats = { shared: 0, loops: 0 };
    const handler = shareInFlight({ stats, isUpstreamAddress: () => false });
    const upstream = heldUpstream();
    const first = handler(request("ext.example.test", 1), upstream.next);
    const second = handler(request("EXT.Example.TEST", 2), upstream.next);
    assert.equal(upstream.calls.length, 1);
    upstream.release();
    const [a, b] = [decode((await first)!), decode((await second)!)];
    assert.deepEqual([a.id, b.id], [1, 2]);
    assert.equal(a.questions[0].name, "ext.example.test");
    assert.equal(b.questions[0].name, "EXT.Example.TEST");
    assert.deepEqual(b.answers.map((x) => x.data), ["192.0.2.1"]);
    assert.equal(stats.shared, 1);
    assert.equal(stats.loops, 0);
    handler(request("ext.example.test", 3), upstream.next);
    assert.equal(upstream.calls.length, 2, "once settled, the next one goes upstream again");
  });

  await t.step("transport, EDNS size, DO and CD keep exchanges apart", () => {
    const handler = shareInFlight({
      stats: { shared: 0, loops: 0 },
      isUpstreamAddress: () => false,
    });
    const upstream = heldUpstream();
    handler(request("x.test", 1), upstream.next);
    handler(request("x.test", 2, { transport: "tcp" }), upstream.next);
    handler(request("x.test", 3, { udpSize: 1232 }), upstream.next);
    handler(request("x.test", 4, { udpSize: 4096 }), upstream.next);
    handler(request("x.test", 5, { flags: 0x10 }), upstream.next); // CD
    assert.equal(upstream.calls.length, 5);
  });

  await t.step("a query echoing the upstream ID, or from the upstream, is a loop", async () => {
    const stats = { shared: 0, loops: 0 };
    const looped: string[] = [];
    const handler = shareInFlight({
      stats,
      isUpstreamAddress: (ip) => ip === "127.0.0.53",
      onLoop: (r) => looped.push(`${r.source}#${r.query.id}`),
    });
    const upstream = heldUpstream();
    const leader = handler(request("loop.test", 1), upstream.next);
    const echo = handler(request("loop.test", 0xbeef), upstream.next);
    const viaForwarder = handler(request("loop.test", 7, { source: "127.0.0.53" }), upstream.next);
    const bystander = handler(request("loop.test", 9, { source: "127.0.0.3" }), upstream.next);
    assert.equal(upstream.calls.length, 1, "nothing is forwarded again");
    assert.deepEqual(looped, [`127.0.0.2#${0xbeef}`, "127.0.0.53#7"]);
    assert.equal(stats.loops, 2);
    assert.equal(stats.shared, 3);
    upstream.release();
    for (const reply of await Promise.all([leader, echo, viaForwarder, bystander])) {
      assert.equal(decode(reply!).answers.length, 1);
    }
  });

  await t.step("an answer that is not a promise is passed through, not shared", () => {
    const handler = shareInFlight({
      stats: { shared: 0, loops: 0 },
      isUpstreamAddress: () => false,
    });
    let calls = 0;
    const next: DnsResolver = () => (calls++, new Uint8Array(12));
    handler(request("sync.test", 1), next);
    handler(request("sync.test", 2), next);
    assert.equal(calls, 2);
  });
});
