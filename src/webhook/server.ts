/**
 * The webhook's HTTPS layer: `POST /mutate/pods` decoded, decided by {@linkcode reviewPod},
 * encoded. Certificates are swapped without dropping requests: a new listener with the new
 * certificate binds the same port (SO_REUSEPORT) before the old one drains and closes.
 *
 * @module
 */

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

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * The request handler, without TLS: testable on its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { webhookHandler } from "./server.ts";
 * const handle = webhookHandler(() => undefined, getLogger(["kubedock-dns", "webhook"]));
 * const response = await handle(new Request("https://x/mutate/pods", { method: "POST", body: "{}" }));
 * assert.deepEqual(response.status, 503); // no settings yet
 * ```
 */
export function webhookHandler(
  settings: SettingsSource,
  log: Logger,
  onReview?: (result: ReviewResult, elapsedMs: number) => void,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path !== "/mutate/pods") return json({ error: `no such path ${path}` }, 404);
    if (request.method !== "POST") return json({ error: "only POST is allowed" }, 405);
    const started = performance.now();
    const current = settings();
    if (!current) {
      return json({ error: "not ready: the DNS Service's ClusterIP is not known yet" }, 503);
    }
    let body: unknown;
    try {
      body = JSON.parse(await request.text());
    } catch (error) {
      return json({ error: `the body is not JSON: ${(error as Error).message}` }, 400);
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
    return json(result.body, result.status);
  };
}

/**
 * A running webhook server whose certificate can be replaced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * import { webhookHandler, WebhookServer } from "./server.ts";
 * const { ca, serving } = await generateWebhookCertificates(["localhost"]);
 * const server = WebhookServer.start({ hostname: "127.0.0.1", port: 0 }, webhookHandler(() => undefined, getLogger(["x"])), serving);
 * const response = await fetch(`https://localhost:${server.address.port}/mutate/pods`, { method: "POST", body: "{}", client: Deno.createHttpClient({ caCerts: [ca.cert] }) });
 * await response.body?.cancel();
 * assert.equal(response.status, 503); // no settings yet
 * await server.reload(serving); // a new certificate, no request dropped
 * await server.stop();
 * ```
 */
export class WebhookServer {
  #server: Deno.HttpServer<Deno.NetAddr>;
  #listen: HostPort;
  #handler: (request: Request) => Promise<Response>;
  #swap: Promise<void> = Promise.resolve();

  private constructor(
    listen: HostPort,
    handler: (request: Request) => Promise<Response>,
    tls: TlsMaterial,
  ) {
    this.#listen = listen;
    this.#handler = handler;
    this.#server = this.#serve(listen.port, tls);
    this.#listen = { ...listen, port: this.#server.addr.port };
  }

  /**
   * Starts serving HTTPS.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { getLogger } from "@logtape/logtape";
   * import { generateWebhookCertificates } from "./certificates.ts";
   * import { WebhookServer, webhookHandler } from "./server.ts";
   * const { ca, serving } = await generateWebhookCertificates(["localhost"]);
   * const server = WebhookServer.start({ hostname: "127.0.0.1", port: 0 }, webhookHandler(() => undefined, getLogger(["x"])), serving);
   * const response = await fetch(`https://localhost:${server.address.port}/mutate/pods`, { method: "POST", body: "{}", client: Deno.createHttpClient({ caCerts: [ca.cert] }) });
   * await response.body?.cancel();
   * assert.equal(response.status, 503); // no settings yet
   * await server.stop();
   * ```
   */
  static start(
    listen: HostPort,
    handler: (request: Request) => Promise<Response>,
    tls: TlsMaterial,
  ): WebhookServer {
    return new WebhookServer(listen, handler, tls);
  }

  /** The bound address. */
  get address(): HostPort {
    return this.#listen;
  }

  /** Serves `tls` from now on; requests in flight on the old listener finish. */
  reload(tls: TlsMaterial): Promise<void> {
    this.#swap = this.#swap.then(async () => {
      const next = this.#serve(this.#listen.port, tls);
      const previous = this.#server;
      this.#server = next;
      await previous.shutdown();
    });
    return this.#swap;
  }

  /** Stops accepting and waits for requests in flight. */
  async stop(): Promise<void> {
    await this.#swap;
    await this.#server.shutdown();
  }

  #serve(port: number, tls: TlsMaterial): Deno.HttpServer<Deno.NetAddr> {
    return Deno.serve({
      hostname: this.#listen.hostname,
      port,
      cert: tls.cert,
      key: tls.key,
      reusePort: true,
      onListen: () => {},
      onError: (error) => json({ error: `internal error: ${(error as Error).message}` }, 500),
    }, this.#handler);
  }
}
