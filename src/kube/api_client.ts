/**
 * Requests to the Kubernetes API over Deno's native `fetch` (which, unlike client-node's undici
 * under Deno, reports cut streams and refused connections: under Deno 2.9 a client-node watch
 * whose connection is cut mid-stream hangs for ever, undici's body reader never settling).
 *
 * @module
 */

import type { KubeConnection } from "./connection.ts";

/**
 * A non-2xx answer of the API server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KubeApiError } from "./api_client.ts";
 * const error = new KubeApiError(404, "{}", "GET /api/v1/namespaces/ci/services/x");
 * assert.deepEqual(error.status, 404);
 * ```
 */
export class KubeApiError extends Error {
  override name = "KubeApiError";
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

/** Options of one request. */
export interface KubeRequest {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * A thin API client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeApiServer } from "../fake/api_server.ts";
 * import { KubeApi } from "./api_client.ts";
 * import { loadConnection } from "./connection.ts";
 * const fake = FakeApiServer.start({ namespace: "ci" });
 * fake.store.create("services", "ci", { metadata: { name: "kubedock-dns" }, spec: { clusterIP: "10.43.0.53" } });
 * const api = new KubeApi(await loadConnection({ kubeconfig: await fake.writeKubeconfig() }));
 * const service = await api.json<{ spec: { clusterIP: string } }>("GET", `/api/v1/namespaces/${api.namespace}/services/kubedock-dns`);
 * assert.equal(service.spec.clusterIP, "10.43.0.53");
 * await fake.stop();
 * ```
 */
export class KubeApi {
  readonly #connection: KubeConnection;

  constructor(connection: KubeConnection) {
    this.#connection = connection;
  }

  get namespace(): string {
    return this.#connection.namespace;
  }

  /**
   * Sends a request; the caller reads (and must consume or cancel) the body. A 401 from a
   * connection whose credential can be renewed (an exec plugin) renews it and sends once more.
   */
  async request(method: string, path: string, options: KubeRequest = {}): Promise<Response> {
    const response = await this.#send(method, path, options);
    if (response.status !== 401 || !this.#connection.unauthorized) return response;
    await response.body?.cancel();
    this.#connection.unauthorized();
    return await this.#send(method, path, options);
  }

  async #send(method: string, path: string, options: KubeRequest): Promise<Response> {
    const url = new URL(this.#connection.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers = new Headers({ accept: "application/json" });
    const authorization = await this.#connection.authorization();
    if (authorization) headers.set("authorization", authorization);
    if (options.body !== undefined) {
      headers.set("content-type", options.contentType ?? "application/json");
    }
    return await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      client: this.#connection.httpClient,
    });
  }

  /** Sends a request and returns the JSON body; throws {@linkcode KubeApiError} on non-2xx. */
  async json<T = unknown>(method: string, path: string, options: KubeRequest = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    if (!response.ok) throw new KubeApiError(response.status, text, `${method} ${path}`);
    return JSON.parse(text) as T;
  }
}
