/**
 * The reference for what Deno's datagram sockets allow on this machine: the smallest possible
 * responder (one reused receive buffer, a fixed A answer, send not awaited), no parsing, no
 * index. The DNS benchmark runs it beside kubedock-dns so its ratios show the runtime's ceiling.
 *
 * Usage: deno run --allow-net=127.0.0.0/8 bench/bare_udp_responder.ts PORT
 *
 * @module
 */

const port = Number(Deno.args[0]);
const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" });
const buffer = new Uint8Array(65535);
const answer = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 10, 0, 4, 127, 0, 0, 2];
for (;;) {
  const [data, addr] = await conn.receive(buffer);
  const out = new Uint8Array(data.length + answer.length);
  out.set(data);
  out[2] |= 0x84;
  out[7] = 1;
  out.set(answer, data.length);
  conn.send(out, addr).catch(() => {});
}
