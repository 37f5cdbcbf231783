/**
 * The webhook's HTTPS server: a `Deno.listenTls` listener whose connections are served by
 * connection.ts, bounds on open connections and their deadlines, certificates swapped for new
 * connections, and a drain on stop.
 *
 * It is neither `Deno.serve` nor `node:https` (docs/benchmarks.md). Deno.serve writes a
 * response's head and body apart with Nagle's algorithm on, so with the client's delayed ACK a
 * review asked one at a time (as kube-apiserver asks per pod) waited about 40 ms. `node:https`
 * writes whole responses, but its streams, timers and parser allocated about 20 KB per review:
 * under `--optimize-for-size` the young generation filled every few milliseconds and full
 * collections of 6–13 ms set the p99. Here a review is read into one buffer per connection and
 * answered with one write.
 *
 * @module
 */

import type { HostPort } from "../config/host_port.ts";
import {
  CONNECTION_LIMITS,
  type ConnectionLimits,
  serveConnection,
  WebhookConnection,
} from "./connection.ts";
import type { WebhookHandler } from "./handler.ts";

/** A certificate chain and key, PEM. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

/** The server's bounds: a connection's, how many may be open, how often deadlines are checked. */
export interface ServerLimits extends ConnectionLimits {
  /** Open connections past which a new one is closed at once (kube-apiserver keeps a few). */
  maxConnections: number;
  sweepMs: number;
}

/** The bounds the webhook runs with. */
export const SERVER_LIMITS: ServerLimits = {
  ...CONNECTION_LIMITS,
  maxConnections: 1_000,
  sweepMs: 1_000,
};

/**
 * A running webhook server whose certificate can be replaced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * import { webhookHandler } from "./handler.ts";
 * import { WebhookServer } from "./server.ts";
 * const { ca, serving } = await generateWebhookCertificates(["localhost"]);
 * const server = WebhookServer.start({ hostname: "127.0.0.1", port: 0 }, webhookHandler(() => undefined, getLogger(["x"])), serving);
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
  #listener: Deno.TlsListener;
  readonly #address: HostPort;
  readonly #handler: WebhookHandler;
  readonly #limits: ServerLimits;
  readonly #connections = new Set<WebhookConnection>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  /** Set by the first `stop()`: resolves once no connection is left. */
  #drained: Promise<void> | undefined;
  #wake: () => void = () => {};

  private constructor(
    listener: Deno.TlsListener,
    address: HostPort,
    handler: WebhookHandler,
    limits: ServerLimits,
  ) {
    this.#listener = listener;
    this.#address = address;
    this.#handler = handler;
    this.#limits = limits;
    this.#sweeper = setInterval(() => this.#sweep(), limits.sweepMs);
    Deno.unrefTimer(this.#sweeper);
    this.#accept(listener);
  }

  /**
   * Starts serving HTTPS, listening when it returns (the port is real even when 0 was asked).
   * A certificate or key that cannot be read throws here. `limits` are for tests.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { generateWebhookCertificates } from "./certificates.ts";
   * import { WebhookServer } from "./server.ts";
   * const { serving } = await generateWebhookCertificates(["localhost"]);
   * const server = WebhookServer.start({ hostname: "127.0.0.1", port: 0 }, () => ({ status: 200, body: {} }), serving);
   * assert.ok(server.address.port > 0);
   * await server.stop();
   * ```
   */
  static start(
    listen: HostPort,
    handler: WebhookHandler,
    tls: TlsMaterial,
    limits: ServerLimits = SERVER_LIMITS,
  ): WebhookServer {
    const listener = listenOn(listen, tls);
    return new WebhookServer(listener, { ...listen, port: listener.addr.port }, handler, limits);
  }

  /** The bound address. */
  get address(): HostPort {
    return this.#address;
  }

  /**
   * Serves `tls` on new connections from now on; those open keep theirs until they close. A
   * second listener with the new certificate binds the same port (`SO_REUSEPORT`), then the old
   * one closes: a connection the kernel queued on the old one in that instant is reset. A
   * certificate that cannot be read throws and the old one stays.
   */
  reload(tls: TlsMaterial): void {
    if (this.#stopping) return;
    const next = listenOn(this.#address, tls);
    const previous = this.#listener;
    this.#listener = next;
    this.#accept(next);
    previous.close();
  }

  /**
   * Stops accepting, closes idle connections and waits for the requests in flight; a second call
   * waits for the same.
   */
  stop(): Promise<void> {
    if (this.#drained) return this.#drained;
    this.#drained = new Promise((resolve) => this.#wake = resolve);
    clearInterval(this.#sweeper);
    try {
      this.#listener.close();
    } catch { /* closed */ }
    for (const connection of this.#connections) {
      connection.stopping = true;
      if (!connection.busy) connection.close();
    }
    if (this.#connections.size === 0) this.#wake();
    return this.#drained;
  }

  get #stopping(): boolean {
    return this.#drained !== undefined;
  }

  async #accept(listener: Deno.TlsListener): Promise<void> {
    for (;;) {
      let conn: Deno.TlsConn;
      try {
        conn = await listener.accept();
      } catch {
        if (this.#stopping || listener !== this.#listener) return; // closed by stop or reload
        // e.g. out of file descriptors: this listener is still the one serving, so keep at it
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (this.#stopping || this.#connections.size >= this.#limits.maxConnections) {
        conn.close();
        continue;
      }
      const connection = new WebhookConnection(conn, performance.now() + this.#limits.requestMs);
      this.#connections.add(connection);
      serveConnection(connection, this.#handler, this.#limits).finally(() => {
        this.#connections.delete(connection);
        if (this.#stopping && this.#connections.size === 0) this.#wake();
      });
    }
  }

  /** Closes connections past their deadline. */
  #sweep(): void {
    const now = performance.now();
    for (const connection of this.#connections) if (connection.expired(now)) connection.close();
  }
}

function listenOn(listen: HostPort, tls: TlsMaterial): Deno.TlsListener {
  return Deno.listenTls(
    {
      hostname: listen.hostname,
      port: listen.port,
      cert: tls.cert,
      key: tls.key,
      reusePort: true,
    } as Deno.ListenTlsOptions & Deno.TlsCertifiedKeyPem,
  );
}
