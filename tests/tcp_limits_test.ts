/**
 * Bounds on DNS-over-TCP connections: per source IP and in all; past them the least recently
 * used idle connection makes room, a connection with a query pending is never cut, and when
 * nothing is idle the new connection is closed.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { NetworkIndex } from "../src/index/network_index.ts";
import type { Upstream } from "../src/dns/upstream/upstream.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { startTestDnsServer } from "../src/testing/dns_server.ts";
import { encodeQuery } from "../src/testing/packet.ts";
import { eventually } from "../src/testing/mod.ts";
import { podRecord } from "../src/testing/records.ts";

/** A TCP connection from `source` that has sent `bytes` and then idles. */
async function openFrom(
  server: { hostname: string; port: number },
  source: string,
  bytes: Uint8Array = new Uint8Array([0]), // half a length prefix
) {
  const socket = net.connect({ host: server.hostname, port: server.port, localAddress: source });
  const state = { closed: false };
  socket.on("close", () => state.closed = true);
  socket.on("error", () => state.closed = true);
  socket.on("data", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write(bytes);
  return { socket, state };
}

function framed(query: Uint8Array): Uint8Array {
  const out = new Uint8Array(query.length + 2);
  out[0] = query.length >> 8;
  out[1] = query.length & 255;
  out.set(query, 2);
  return out;
}

/** An upstream that never answers: held queries stay held until the wait timeout. */
const silentUpstream: Upstream = {
  exchange: () => new Promise<null>(() => {}),
  close() {},
};

Deno.test("TCP connection bounds", async (t) => {
  const index = new NetworkIndex();
  index.replaceAll([
    podRecord("flood", ["127.0.0.20"], ["flood"], ["n1"]),
    podRecord("db1", ["127.0.0.21"], ["db"], ["n1"]),
  ]);
  const server = startTestDnsServer(index, silentUpstream, {
    tcpMax: 6,
    tcpMaxPerSource: 3,
    waitTimeoutMs: 3_000,
  });
  const { tcp } = server.state;
  const opened: { socket: net.Socket }[] = [];
  const open = async (source: string, bytes?: Uint8Array) => {
    const connection = await openFrom(server.address, source, bytes);
    opened.push(connection);
    return connection;
  };
  try {
    await t.step("past the per-source bound the oldest idle connection is closed", async () => {
      const first = await open("127.0.0.20");
      const second = await open("127.0.0.20");
      const third = await open("127.0.0.20");
      await eventually(() => tcp.open === 3, "three open");
      const fourth = await open("127.0.0.20");
      await eventually(() => first.state.closed, "the oldest closed");
      assert.equal(tcp.evicted, 1);
      assert.equal(tcp.open, 3);
      assert.ok(!second.state.closed && !third.state.closed && !fourth.state.closed);
    });

    await t.step(
      "a connection with a query pending is kept; with none idle the new one goes",
      async () => {
        opened.splice(0).forEach(({ socket }) => socket.destroy());
        await eventually(() => tcp.open === 0, "all closed");
        const busy = await Promise.all(
          [0, 1, 2].map((i) =>
            open("127.0.0.20", framed(encodeQuery(`held${i}.ci.svc.cluster.local`, "A", i)))
          ),
        );
        await eventually(() => server.state.holds.size === 3, "three held");
        const refused = await open("127.0.0.20");
        await eventually(() => refused.state.closed, "the new connection closed");
        assert.equal(tcp.refused, 1);
        assert.ok(busy.every(({ state }) => !state.closed), "no busy connection was cut");
      },
    );

    await t.step(
      "past the total bound an idle connection of another source makes room",
      async () => {
        const others = [
          await open("127.0.0.30"),
          await open("127.0.0.30"),
          await open("127.0.0.31"),
        ];
        await eventually(() => tcp.open === 6, "six open");
        const evictedBefore = tcp.evicted;
        const newcomer = await open("127.0.0.32");
        await eventually(() => others[0].state.closed, "the least recently used idle one closed");
        assert.equal(tcp.evicted, evictedBefore + 1);
        assert.ok(!newcomer.state.closed);
        assert.equal(tcp.open, 6);
      },
    );

    await t.step("other sources are still answered over TCP and UDP", async () => {
      for (const extra of [["+tcp"], []]) {
        const r = await dig("db", { server: server.address, source: "127.0.0.21", extra });
        assert.deepEqual(answerData(r, "A"), ["127.0.0.21"], r.output);
      }
    });
  } finally {
    opened.forEach(({ socket }) => socket.destroy());
    await server.close();
  }
});
