/**
 * The webhook's HTTPS server on its own: what reaches the handler, the bounds, the HTTP it refuses,
 * keep-alive and pipelining over one connection, and that a refused request leaves the server
 * serving.
 */
import assert from "node:assert/strict";
import { generateWebhookCertificates } from "../src/webhook/certificates.ts";
import { MAX_BODY_BYTES } from "../src/webhook/connection.ts";
import type { WebhookRequest } from "../src/webhook/handler.ts";
import { MAX_HEAD_BYTES } from "../src/webhook/http1.ts";
import { WebhookServer } from "../src/webhook/server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends raw bytes over TLS and reads until the server closes or `responses` have arrived. */
async function exchange(
  port: number,
  ca: string,
  raw: string,
  responses = Infinity,
): Promise<{ text: string; closed: boolean }> {
  const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca] });
  await conn.write(encoder.encode(raw));
  let text = "";
  const chunk = new Uint8Array(65536);
  let closed = false;
  try {
    while ((text.match(/^HTTP\/1\.1 /gm)?.length ?? 0) < responses || !complete(text)) {
      const n = await conn.read(chunk);
      if (n === null) {
        closed = true;
        break;
      }
      text += decoder.decode(chunk.subarray(0, n));
    }
  } catch {
    closed = true; // reset after a refusal
  } finally {
    conn.close();
  }
  return { text, closed };
}

/** The last response in `text` has all of its body. */
function complete(text: string): boolean {
  const at = text.lastIndexOf("HTTP/1.1 ");
  const head = text.indexOf("\r\n\r\n", at);
  if (at < 0 || head < 0) return false;
  const length = Number(/content-length: (\d+)/.exec(text.slice(at, head))?.[1] ?? 0);
  return encoder.encode(text.slice(head + 4)).length >= length;
}

Deno.test("the webhook server: requests as the handler sees them, bounds, refusals, keep-alive", async (t) => {
  const { ca, serving } = await generateWebhookCertificates(["localhost"], 1, ["127.0.0.1"]);
  const seen: WebhookRequest[] = [];
  const server = WebhookServer.start({ hostname: "127.0.0.1", port: 0 }, (request) => {
    seen.push(request);
    if (request.body === "throw") throw new Error("boom");
    return { status: 200, body: { length: request.body.length } };
  }, serving);
  const { port } = server.address;
  const client = Deno.createHttpClient({ caCerts: [ca.cert] });
  const url = `https://127.0.0.1:${port}`;
  const post = (path: string, body: string) =>
    fetch(`${url}${path}`, { method: "POST", body, client });
  try {
    await t.step("method, path without the query, the body as text", async () => {
      const response = await post("/mutate/pods?timeout=10s", '{"ü":1}');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.deepEqual(await response.json(), { length: 7 });
      assert.deepEqual(seen.at(-1), { method: "POST", path: "/mutate/pods", body: '{"ü":1}' });
    });

    await t.step(
      "a body past the bound: 413 with a JSON error, the handler never called",
      async () => {
        const before = seen.length;
        const response = await post("/mutate/pods", "x".repeat(MAX_BODY_BYTES + 1));
        assert.equal(response.status, 413);
        assert.match((await response.json()).error, /larger than/);
        assert.equal(seen.length, before);
      },
    );

    await t.step(
      "two requests written at once on one connection: two answers, in order",
      async () => {
        const request = (body: string, close = "") =>
          `POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n${close}\r\n${body}`;
        const { text, closed } = await exchange(
          port,
          ca.cert,
          request("one") + request("three", "connection: close\r\n"),
        );
        const answers = [...text.matchAll(/\r\n\r\n(\{[^}]*\})/g)].map((m) => m[1]);
        assert.deepEqual(answers, ['{"length":3}', '{"length":5}']);
        assert.match(text, /connection: close\r\n\r\n\{"length":5\}$/);
        assert.equal(closed, true);
      },
    );

    await t.step(
      "HTTP it does not serve: the status, a JSON error, the connection closed",
      async () => {
        const cases: [string, number][] = [
          ["GARBAGE\r\n\r\n", 400],
          ["POST /a HTTP/2.0\r\n\r\n", 505],
          ["POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 501],
          ["POST /a HTTP/1.1\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}", 400],
          ["POST /a HTTP/1.1\r\n bad: fold\r\n\r\n", 400],
          [`POST /a HTTP/1.1\r\nx: ${"y".repeat(MAX_HEAD_BYTES)}\r\n\r\n`, 431],
        ];
        const before = seen.length;
        for (const [raw, status] of cases) {
          const { text, closed } = await exchange(port, ca.cert, raw);
          assert.match(text, new RegExp(`^HTTP/1\\.1 ${status} `), raw.slice(0, 40));
          assert.match(text, /connection: close\r\n\r\n\{"/, raw.slice(0, 40));
          assert.equal(closed, true, raw.slice(0, 40));
        }
        assert.equal(seen.length, before, "the handler saw none of them");
      },
    );

    await t.step("Expect: 100-continue gets 100 before the body is sent", async () => {
      const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.cert] });
      await conn.write(encoder.encode(
        "POST /a HTTP/1.1\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\n",
      ));
      const chunk = new Uint8Array(1024);
      const n = await conn.read(chunk);
      assert.equal(decoder.decode(chunk.subarray(0, n!)), "HTTP/1.1 100 Continue\r\n\r\n");
      await conn.write(encoder.encode("{}"));
      const m = await conn.read(chunk);
      assert.match(
        decoder.decode(chunk.subarray(0, m!)),
        /^HTTP\/1\.1 200 OK\r\n[^]*\{"length":2\}$/,
      );
      conn.close();
    });

    await t.step("a handler that throws: 500 with the message", async () => {
      const response = await post("/mutate/pods", "throw");
      assert.equal(response.status, 500);
      assert.match((await response.json()).error, /internal error: boom/);
    });

    await t.step("a client that fails the TLS handshake leaves the server serving", async () => {
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
      await tcp.write(encoder.encode("POST /a HTTP/1.1\r\n\r\n")); // plain text to a TLS port
      await tcp.read(new Uint8Array(64)).catch(() => null);
      tcp.close();
      const response = await post("/mutate/pods", "{}");
      assert.equal(response.status, 200);
      await response.body?.cancel();
    });

    await t.step(
      "after reload, new connections get the new certificate; open ones still work",
      async () => {
        const open = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.cert] });
        const next = await generateWebhookCertificates(["localhost"], 1, ["127.0.0.1"]);
        server.reload(next.serving);
        await assert.rejects(
          Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.cert] }).then((c) =>
            c.handshake().finally(() => c.close())
          ),
          "the old CA no longer verifies a new connection",
        );
        const fresh = await exchange(
          port,
          next.ca.cert,
          "POST /a HTTP/1.1\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
        );
        assert.match(fresh.text, /^HTTP\/1\.1 200 OK/);
        await open.write(encoder.encode("POST /a HTTP/1.1\r\ncontent-length: 1\r\n\r\nx"));
        const chunk = new Uint8Array(1024);
        const n = await open.read(chunk);
        assert.match(decoder.decode(chunk.subarray(0, n!)), /\{"length":1\}$/);
        open.close();
      },
    );
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("the webhook server's stop waits for a request in flight and closes idle connections", async () => {
  const { ca, serving } = await generateWebhookCertificates(["localhost"], 1, ["127.0.0.1"]);
  const server = WebhookServer.start(
    { hostname: "127.0.0.1", port: 0 },
    () => ({ status: 200, body: {} }),
    serving,
  );
  const { port } = server.address;
  const idle = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.cert] });
  await idle.handshake();
  // a request whose body is still arriving when stop begins
  const busy = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.cert] });
  await busy.write(encoder.encode("POST /a HTTP/1.1\r\ncontent-length: 2\r\n\r\n{"));
  await new Promise((r) => setTimeout(r, 50));
  const stopped = server.stop();
  const stoppedAgain = server.stop(); // a second stop (a second signal) waits for the same drain
  let done = false;
  stopped.then(() => done = true);
  assert.equal(await idle.read(new Uint8Array(16)).catch(() => null), null, "idle one closed");
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(done, false, "stop waits for the request in flight");
  await busy.write(encoder.encode("}")); // the body completes: answered, then closed
  const text = decoder.decode(await new Response(busy.readable).arrayBuffer());
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*connection: close\r\n/);
  await Promise.all([stopped, stoppedAgain]);
  idle.close();
});

Deno.test("the webhook server's bounds: a slow request and an idle connection are closed, and past the most connections a new one is", async (t) => {
  const { ca, serving } = await generateWebhookCertificates(["localhost"], 1, ["127.0.0.1"]);
  const limits = { requestMs: 300, idleMs: 600, maxConnections: 2, sweepMs: 50 };
  const server = WebhookServer.start(
    { hostname: "127.0.0.1", port: 0 },
    (request) => ({ status: 200, body: { length: request.body.length } }),
    serving,
    limits,
  );
  const { port } = server.address;
  const connect = () => Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.cert] });
  /** Reads until the server closes (or 3 s pass: then `ms` is Infinity); the text and the time. */
  const untilClosed = async (conn: Deno.TlsConn) => {
    const started = performance.now();
    let text = "";
    const chunk = new Uint8Array(4096);
    let gaveUp = false;
    const timer = setTimeout(() => {
      gaveUp = true;
      conn.close();
    }, 3_000);
    for (;;) {
      const n = await conn.read(chunk).catch(() => null);
      if (n === null) break;
      text += decoder.decode(chunk.subarray(0, n));
    }
    clearTimeout(timer);
    if (!gaveUp) conn.close();
    return { text, ms: gaveUp ? Infinity : performance.now() - started };
  };
  try {
    await t.step("a request still arriving at its deadline: the connection is closed", async () => {
      const conn = await connect();
      await conn.write(encoder.encode("POST /a HTTP/1.1\r\ncontent-length: 10\r\n\r\n{"));
      const { text, ms } = await untilClosed(conn);
      assert.equal(text, "", "nothing answered");
      assert.ok(
        ms >= limits.requestMs - 100 && ms < limits.requestMs + 1000,
        `closed after ${ms} ms`,
      );
    });

    await t.step(
      "an idle connection after a request: closed past the idle bound, not before",
      async () => {
        const conn = await connect();
        await conn.write(encoder.encode("POST /a HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}"));
        const chunk = new Uint8Array(4096);
        const n = await conn.read(chunk);
        assert.match(decoder.decode(chunk.subarray(0, n!)), /^HTTP\/1\.1 200 OK/);
        const { ms } = await untilClosed(conn);
        assert.ok(ms >= limits.idleMs - 100 && ms < limits.idleMs + 1000, `closed after ${ms} ms`);
      },
    );

    await t.step(
      "past maxConnections a new connection is closed; one more fits once one closes",
      async () => {
        const open = [await connect(), await connect()];
        await Promise.all(open.map((c) => c.handshake()));
        await new Promise((r) => setTimeout(r, 50)); // both accepted
        const third = await connect();
        const refused = await untilClosed(third);
        assert.equal(refused.text, "");
        assert.ok(refused.ms < limits.requestMs - 100, `closed at once (${refused.ms} ms)`);
        open[0].close();
        await new Promise((r) => setTimeout(r, 100));
        const fourth = await connect();
        await fourth.write(
          encoder.encode("POST /a HTTP/1.1\r\ncontent-length: 1\r\nconnection: close\r\n\r\nx"),
        );
        assert.match((await untilClosed(fourth)).text, /\{"length":1\}$/);
        open[1].close();
      },
    );
  } finally {
    await server.stop();
  }
});
