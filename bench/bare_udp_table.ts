/**
 * The reference for answering from a cache: the smallest responder that answers a set of names
 * from a table (one reused receive buffer, the question's bytes read into a string key, one `Map`
 * lookup, a prebuilt reply copied with the query's ID, send not awaited), and drops every other
 * name. No header checks, no EDNS, no TTLs, no index, no metrics. Like the bare responder
 * (bare_udp_responder.ts) it pays two socket operations per query; unlike it, it looks the name up
 * among many, so the memory a query touches grows with the number of names asked as a real
 * cache's does. `bench:compare` runs it beside the cached figure, so that figure also reads as a
 * share of what the runtime can answer from a table of the same names. It encodes its questions
 * itself and imports nothing on purpose: kubedock-dns's wire modules (`encodeName`) would bring
 * code into the process that a reference must not pay for (loading even one CommonJS module cost a
 * bare responder about 2.5% here, docs/benchmarks.md).
 *
 * Usage: deno run --allow-net=127.0.0.0/8 bench/bare_udp_table.ts PORT NAME...
 *
 * @module
 */

const [port, ...names] = Deno.args;
const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: Number(port), transport: "udp" });
/** The question's bytes (name, type A, class IN), one character per byte → the whole reply. */
const table = new Map<string, Uint8Array>();
for (const name of names) {
  const question: number[] = [];
  for (const label of name.split(".")) {
    question.push(label.length, ...new TextEncoder().encode(label));
  }
  question.push(0, 0, 1, 0, 1);
  const header = [0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
  const answer = [0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 8]; // TTL 300, 192.0.2.8
  table.set(String.fromCharCode(...question), new Uint8Array([...header, ...question, ...answer]));
}
const buffer = new Uint8Array(65535);
for (;;) {
  const [data, addr] = await conn.receive(buffer);
  let end = 12;
  while (end < data.length && data[end] !== 0) end += data[end] + 1;
  end = Math.min(end + 5, data.length);
  let key = "";
  for (let i = 12; i < end; i++) key += String.fromCharCode(data[i]);
  const reply = table.get(key);
  if (reply === undefined) continue;
  const out = reply.slice();
  out[0] = data[0];
  out[1] = data[1];
  conn.send(out, addr).catch(() => {});
}
