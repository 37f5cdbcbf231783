/**
 * The webhook's HTTPS layer: `POST /mutate/pods` decoded, decided by {@linkcode reviewPod},
 * encoded. Certificates are swapped without dropping requests: new connections get the new one.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@logtape/logtape";
import type { HostPort } from "../config/host_port.ts";
import { reviewPod, type ReviewResult, type ReviewSettings } from "./review.ts";

/** A certificate chain and key, PEM. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

/** Decides reviews; `undefined` settings mean "not ready" (HTTP 503). */
export type SettingsSource = () => ReviewSettings | undefined;

/** A request as the webhook reads it: the method, the path (no query) and the body's text. */
export interface WebhookRequest {
  method: string;
  path: string;
  body: string;
}

/** What the webhook answers: an HTTP status and a document sent as JSON. */
export interface WebhookReply {
  status: number;
  body: unknown;
}

/** Decides one request; no I/O. */
export type WebhookHandler = (request: WebhookRequest) => WebhookReply;

/**
 * The request handler, without HTTP or TLS: testable on its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { webhookHandler } from "./server.ts";
 * const handle = webhookHandler(() => undefined, getLogger(["kubedock-dns", "webhook"]));
 * assert.equal(handle({ method: "POST", path: "/mutate/pods", body: "{}" }).status, 503); // no settings yet
 * assert.equal(handle({ method: "GET", path: "/mutate/pods", body: "" }).status, 405);
 * assert.equal(handle({ method: "POST", path: "/other", body: "" }).status, 404);
 * ```
 */
export function webhookHandler(
  settings: SettingsSource,
  log: Logger,
  onReview?: (result: ReviewResult, elapsedMs: number) => void,
): WebhookHandler {
  return ({ method, path, body: text }) => {
    if (path !== "/mutate/pods") return { status: 404, body: { error: `no such path ${path}` } };
    if (method !== "POST") return { status: 405, body: { error: "only POST is allowed" } };
    const started = performance.now();
    const current = settings();
    if (!current) {
      const error = "not ready: the DNS Service's ClusterIP is not known yet";
      return { status: 503, body: { error } };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return { status: 400, body: { error: `the body is not JSON: ${(error as Error).message}` } };
    }
    const result = reviewPod(body, current);
    const { pod, operation, allowed, reason } = result.summary;
    if (result.status === 200) {
      log.info("admission {operation} pod {pod}: {decision} ({reason})", {
        operation,
        pod,
        decision: allowed ? "allowed" : "denied",
        reason,
      });
    } else {
      log.warn("bad admission request: {reason}", { reason });
    }
    onReview?.(result, performance.now() - started);
    return { status: result.status, body: result.body };
  };
}

/**
 * A running webhook server whose certificate can be replaced.
 *
 * It is `node:https`, not `Deno.serve`: Deno.serve leaves Nagle's algorithm on for TLS connections
 * and writes a response's head and body separately, so with the client's delayed ACK every
 * response of more than a few hundred bytes to a client asking one review at a time (as
 * kube-apiserver does per pod) waited about 40 ms (docs/benchmarks.md). Node's server writes the
 * whole response at once (which alone removed the wait in a probe with `noDelay` off) and is asked
 * for `TCP_NODELAY` too; `setSecureContext` swaps the certificate for new connections while those
 * open keep theirs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * import { webhookHandler, WebhookServer } from "./server.ts";
 * const { ca, serving } = await generateWebhookCertificates(["localhost"]);
 * const server = await WebhookServer.start({ hostname: "127.0.0.1", port: 0 }, webhookHandler(() => undefined, getLogger(["x"])), serving);
 * const client = Deno.createHttpClient({ caCerts: [ca.cert] });
 * const response = await fetch(`https://localhost:${server.address.port}/mutate/pods`, { method: "POST", body: "{}", client });
 * await response.body?.cancel();
 * assert.equal(response.status, 503); // no settings yet
 * server.reload(serving); // from now on new connections get this certificate
 * client.close();
 * await server.stop();
 * ```
 */
export class WebhookServer {
  readonly #server: https.Server;
  readonly #listen: HostPort;

  private constructor(server: https.Server, listen: HostPort) {
    this.#server = server;
    this.#listen = listen;
  }

  /**
   * Starts serving HTTPS; resolves once listening (the port is real even when 0 was asked).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { getLogger } from "@logtape/logtape";
   * import { generateWebhookCertificates } from "./certificates.ts";
   * import { WebhookServer, webhookHandler } from "./server.ts";
   * const { serving } = await generateWebhookCertificates(["localhost"]);
   * const server = await WebhookServer.start({ hostname: "127.0.0.1", port: 0 }, webhookHandler(() => undefined, getLogger(["x"])), serving);
   * assert.ok(server.address.port > 0);
   * await server.stop();
   * ```
   */
  static async start(
    listen: HostPort,
    handler: WebhookHandler,
    tls: TlsMaterial,
  ): Promise<WebhookServer> {
    const server = https.createServer(
      { cert: tls.cert, key: tls.key, noDelay: true } as https.ServerOptions,
      (incoming, outgoing) => serveOne(incoming, outgoing, handler),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(listen.port, listen.hostname, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const port = (server.address() as { port: number }).port;
    return new WebhookServer(server, { ...listen, port });
  }

  /** The bound address. */
  get address(): HostPort {
    return this.#listen;
  }

  /** Serves `tls` on new connections from now on; those open keep theirs until they close. */
  reload(tls: TlsMaterial): void {
    this.#server.setSecureContext({ cert: tls.cert, key: tls.key });
  }

  /** Stops accepting, closes idle connections and waits for the requests in flight. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }
}

/**
 * The largest request body read: an AdmissionReview of an UPDATE carries the object twice, and
 * etcd keeps objects up to 1.5 MiB.
 */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

/** Writes `reply` as JSON, whole, with a Content-Length. */
function send(outgoing: ServerResponse, reply: WebhookReply, headers: Record<string, string> = {}) {
  const body = JSON.stringify(reply.body);
  outgoing.writeHead(reply.status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  outgoing.end(body);
}

/**
 * One request: the body read whole as text (past {@linkcode MAX_BODY_BYTES}: 413 and the
 * connection closed), the handler's reply written in one piece.
 */
function serveOne(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  handler: WebhookHandler,
): void {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  incoming.on("data", (chunk: Uint8Array) => {
    bytes += chunk.length;
    if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
    else if (!outgoing.headersSent) {
      chunks.length = 0; // the rest is read and dropped until the connection closes after this
      const error = `the body is larger than ${MAX_BODY_BYTES} bytes`;
      send(outgoing, { status: 413, body: { error } }, { connection: "close" });
    }
  });
  incoming.on("end", () => {
    if (bytes > MAX_BODY_BYTES) return;
    const text = Buffer.concat(chunks).toString("utf8");
    const url = incoming.url ?? "/";
    const query = url.indexOf("?");
    let reply: WebhookReply;
    try {
      reply = handler({
        method: incoming.method ?? "GET",
        path: query < 0 ? url : url.slice(0, query),
        body: text,
      });
    } catch (error) {
      reply = { status: 500, body: { error: `internal error: ${(error as Error).message}` } };
    }
    send(outgoing, reply);
  });
}
