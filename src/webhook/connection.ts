/**
 * One client connection of the webhook: requests read one after another (keep-alive), each
 * decided by the handler and answered with one write. Its bounds: a head of
 * {@linkcode MAX_HEAD_BYTES}, a body of {@linkcode MAX_BODY_BYTES}, and a deadline the server's
 * sweeper enforces by closing the connection (a request must arrive whole within
 * {@linkcode ConnectionLimits.requestMs} of its first byte; an idle connection lasts
 * {@linkcode ConnectionLimits.idleMs}).
 *
 * @module
 */

import { encodeResponse, headLength, MAX_HEAD_BYTES, parseRequestHead } from "./http1.ts";
import type { WebhookHandler, WebhookReply } from "./handler.ts";

/**
 * The largest request body read: an AdmissionReview of an UPDATE carries the object twice, and
 * etcd keeps objects up to 1.5 MiB. Past it: 413 and the connection closed.
 */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;
/** The time bounds of a connection. */
export interface ConnectionLimits {
  /** How long a request may take to arrive, from its first byte (or the connection's start). */
  requestMs: number;
  /** How long a connection may wait for its next request (Go's clients keep theirs 90 s). */
  idleMs: number;
}

/** The bounds the webhook runs with. */
export const CONNECTION_LIMITS: ConnectionLimits = { requestMs: 10_000, idleMs: 60_000 };

const INITIAL_BUFFER = 16 * 1024;
const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
const decoder = new TextDecoder();

/**
 * A connection as the server tracks it: its deadline, whether a request is being worked on, and
 * whether the server is stopping (then it closes once idle).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WebhookConnection } from "./connection.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const connection = new WebhookConnection(await listener.accept(), 0);
 * assert.equal(connection.expired(1), true);
 * connection.close();
 * connection.close(); // closing twice is harmless
 * client.close();
 * listener.close();
 * ```
 */
export class WebhookConnection {
  /** A request is being read, decided or answered. */
  busy = false;
  /** The server stops: close when idle. */
  stopping = false;
  #closed = false;

  /** `deadline`: `performance.now()` after which the sweeper closes it. */
  constructor(readonly conn: Deno.Conn, public deadline: number) {}

  /** Past its deadline at `now`. */
  expired(now: number): boolean {
    return now > this.deadline;
  }

  /** Closes it (a pending read or write then fails, which ends its loop). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** Writes all of `bytes`. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

function reply(conn: Deno.Conn, answer: WebhookReply, close: boolean): Promise<void> {
  return writeAll(conn, encodeResponse(answer.status, JSON.stringify(answer.body), close));
}

/**
 * Serves requests on `connection` until the client closes it, asks to, breaks a bound, the
 * deadline passes or the server stops; never throws (a broken connection just ends).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveConnection, WebhookConnection } from "./connection.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const connection = new WebhookConnection(await listener.accept(), performance.now() + 1000);
 * const served = serveConnection(connection, (request) => ({ status: 200, body: request }));
 * await client.write(new TextEncoder().encode("POST /p?x=1 HTTP/1.1\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"));
 * const response = new TextDecoder().decode(await new Response(client.readable).arrayBuffer());
 * assert.match(response, /^HTTP\/1.1 200 OK\r\n/);
 * assert.ok(response.endsWith('{"method":"POST","path":"/p","body":"{}"}'));
 * await served;
 * listener.close();
 * ```
 */
export async function serveConnection(
  connection: WebhookConnection,
  handler: WebhookHandler,
  limits: ConnectionLimits = CONNECTION_LIMITS,
): Promise<void> {
  const { conn } = connection;
  let buffer = new Uint8Array(INITIAL_BUFFER);
  let filled = 0;
  /** Reads more into the buffer (grown to `size` first); false at the end of the stream. */
  const fill = async (size = buffer.length): Promise<boolean> => {
    if (size > buffer.length || filled === buffer.length) {
      const grown = new Uint8Array(Math.max(size, buffer.length * 2));
      grown.set(buffer.subarray(0, filled));
      buffer = grown;
    }
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) return false;
    filled += n;
    return true;
  };
  try {
    for (;;) {
      if (filled === 0) {
        connection.busy = false;
        if (connection.stopping) return;
        connection.deadline = performance.now() + limits.idleMs;
        if (!await fill()) return;
      }
      if (!connection.busy) {
        connection.busy = true;
        connection.deadline = performance.now() + limits.requestMs;
      }
      let end = headLength(buffer.subarray(0, filled));
      while (end < 0 && filled < MAX_HEAD_BYTES) {
        const before = filled;
        if (!await fill()) return;
        end = headLength(buffer.subarray(0, filled), before - 3);
      }
      if (end < 0 || end > MAX_HEAD_BYTES) {
        const error = `the request head is larger than ${MAX_HEAD_BYTES} bytes`;
        return await reply(conn, { status: 431, body: { error } }, true);
      }
      const head = parseRequestHead(decoder.decode(buffer.subarray(0, end)));
      if ("error" in head) return await reply(conn, { status: head.status, body: head }, true);
      if (head.contentLength > MAX_BODY_BYTES) {
        const error = `the body is larger than ${MAX_BODY_BYTES} bytes`;
        return await reply(conn, { status: 413, body: { error } }, true);
      }
      const total = end + head.contentLength;
      if (head.expectContinue && filled < total) await writeAll(conn, CONTINUE);
      while (filled < total) if (!await fill(total)) return;
      const body = decoder.decode(buffer.subarray(end, total));
      // what follows belongs to the next request (pipelined): moved to the front
      buffer.copyWithin(0, total, filled);
      filled -= total;
      if (buffer.length > 4 * INITIAL_BUFFER && filled <= INITIAL_BUFFER) {
        buffer = buffer.slice(0, INITIAL_BUFFER); // a large body's room is given back
      }
      let answer: WebhookReply;
      try {
        answer = handler({ method: head.method, path: head.path, body });
      } catch (error) {
        answer = { status: 500, body: { error: `internal error: ${(error as Error).message}` } };
      }
      const close = head.close || connection.stopping;
      await reply(conn, answer, close);
      if (close) return;
    }
  } catch {
    // the client went away, the TLS handshake failed, or the sweeper closed it
  } finally {
    connection.close();
  }
}
