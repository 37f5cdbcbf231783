/**
 * The reference for forwarding: the smallest forwarder Deno's datagram sockets allow (one reused
 * receive buffer per socket, one upstream socket, the query's ID swapped for a counter and back,
 * sends not awaited), no parsing, no checks, no cache, no timeouts. Four socket operations per
 * query where the bare responder (bare_udp_responder.ts) has two: `bench:compare` runs it beside
 * the uncached figure, so that figure also reads as a share of what the runtime can forward.
 *
 * Usage: deno run --allow-net=127.0.0.0/8,0.0.0.0 bench/bare_udp_forwarder.ts PORT UPSTREAM_PORT
 *
 * @module
 */

const [port, upstreamPort] = Deno.args.map(Number);
const upstream = { transport: "udp" as const, hostname: "127.0.0.1", port: upstreamPort };
const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" });
const out = Deno.listenDatagram({ hostname: "0.0.0.0", port: 0, transport: "udp" });
/** Upstream ID → the client's ID and address. */
const clients = new Map<number, { id: number; addr: Deno.Addr }>();
let nextId = 0;

(async () => {
  const buffer = new Uint8Array(65535);
  for (;;) {
    const [data] = await out.receive(buffer);
    const id = (data[0] << 8) | data[1];
    const client = clients.get(id);
    if (!client) continue;
    clients.delete(id);
    const reply = data.slice();
    reply[0] = client.id >> 8;
    reply[1] = client.id & 255;
    conn.send(reply, client.addr).catch(() => {});
  }
})();

const buffer = new Uint8Array(65535);
for (;;) {
  const [data, addr] = await conn.receive(buffer);
  const query = data.slice();
  nextId = (nextId + 1) & 0xffff;
  clients.set(nextId, { id: (query[0] << 8) | query[1], addr });
  query[0] = nextId >> 8;
  query[1] = nextId & 255;
  out.send(query, upstream).catch(() => {});
}
