/**
 * The load generator of `bench:webhook`, a process of its own so that the fake API server's and
 * the orchestrating script's heaps stay out of the measured latencies. It talks to the webhook the
 * way kube-apiserver does: HTTP/1.1 keep-alive over TLS, one connection per request in flight,
 * `TCP_NODELAY` set (Go sets it on every TCP connection) and each request written whole. (Deno's
 * `fetch` leaves Nagle's algorithm on and writes a POST's head and body separately: with the
 * server's delayed ACK, whole waves of reviews then waited about 40 ms with the server idle.) It
 * POSTs prebuilt AdmissionReview bodies, `inFlight` at a time, first `warmUp` unmeasured, then
 * `rounds` × `reviews`, and prints one JSON line per round: the sorted latencies (ms), the rate.
 *
 * Usage: deno run --allow-net=127.0.0.1 --allow-read=CA_FILE bench/webhook_load.ts PORT CA_FILE REVIEWS IN_FLIGHT WARM_UP ROUNDS
 *
 * @module
 */

import { kubedockPod } from "../src/fake/kubedock_pod.ts";

const [port, caFile, ...numbers] = Deno.args;
const [reviews, inFlight, warmUp, rounds] = numbers.map(Number);
const caCerts = [await Deno.readTextFile(caFile)];
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const requests = Array.from({ length: reviews }, (_, i) => {
  const body = encoder.encode(JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `uid-${i}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "ci",
      operation: "CREATE",
      object: kubedockPod(`pod-${i}`, ["db", "postgres"], ["5d2c" + "e1".repeat(30)]),
    },
  }));
  const head = encoder.encode(
    `POST /mutate/pods HTTP/1.1\r\nhost: localhost:${port}\r\ncontent-type: application/json\r\n` +
      `content-length: ${body.length}\r\n\r\n`,
  );
  const whole = new Uint8Array(head.length + body.length);
  whole.set(head);
  whole.set(body, head.length);
  return whole;
});

/** Where a response's body starts: just past the head's blank line (-1: not all read yet). */
function afterHead(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

/** One keep-alive connection: sends a request, reads one response (content-length framed). */
class Connection {
  #buffer = new Uint8Array(0);
  /** One read buffer per connection, reused (a fresh 64 KiB per read made the client's GC the tail). */
  readonly #chunk = new Uint8Array(65536);
  private constructor(readonly conn: Deno.TlsConn) {}

  static async open(): Promise<Connection> {
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    tcp.setNoDelay(true);
    const tls = await Deno.startTls(tcp, { hostname: "localhost", caCerts });
    return new Connection(tls);
  }

  async exchange(request: Uint8Array): Promise<string> {
    let written = 0;
    while (written < request.length) written += await this.conn.write(request.subarray(written));
    for (;;) {
      const bodyStart = afterHead(this.#buffer);
      if (bodyStart >= 0) {
        const head = decoder.decode(this.#buffer.subarray(0, bodyStart));
        const total = bodyStart + Number(/content-length: (\d+)/i.exec(head)?.[1]);
        if (this.#buffer.length >= total) {
          const response = decoder.decode(this.#buffer.subarray(0, total));
          this.#buffer = this.#buffer.slice(total);
          return response;
        }
      }
      const n = await this.conn.read(this.#chunk);
      if (n === null) throw new Error("the webhook closed the connection");
      const grown = new Uint8Array(this.#buffer.length + n);
      grown.set(this.#buffer);
      grown.set(this.#chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = grown;
    }
  }
}

const connections = await Promise.all(Array.from({ length: inFlight }, () => Connection.open()));

async function load(count: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(connections.map(async (connection) => {
    while (next < count) {
      const i = next++;
      const sent = performance.now();
      const response = await connection.exchange(requests[i % reviews]);
      latencies.push(performance.now() - sent);
      if (!response.startsWith("HTTP/1.1 200") || !response.includes('"allowed":true')) {
        throw new Error(`unexpected: ${response}`);
      }
    }
  }));
  return {
    latencies: latencies.sort((a, b) => a - b),
    perSecond: count / ((performance.now() - started) / 1000),
  };
}

await load(warmUp); // the JIT warm on both sides
for (let round = 0; round < rounds; round++) console.log(JSON.stringify(await load(reviews)));
for (const connection of connections) connection.conn.close();
