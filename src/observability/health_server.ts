/**
 * The plain-HTTP health port: `/healthz` (the process serves), `/readyz` (ready to answer), and
 * any extra routes (metrics, debugging) given by the caller.
 *
 * @module
 */

import type { HostPort } from "../config/host_port.ts";

/** A route of the health port: path → response maker. */
export type HealthRoutes = Record<string, () => Response | Promise<Response>>;

/**
 * Serves the health port until shut down.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startHealthServer } from "./health_server.ts";
 * const server = startHealthServer({ hostname: "127.0.0.1", port: 0 }, () => true);
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/readyz`);
 * await response.body?.cancel();
 * assert.equal(response.status, 200);
 * await server.shutdown();
 * ```
 */
export function startHealthServer(
  listen: HostPort,
  ready: () => boolean,
  routes: HealthRoutes = {},
): Deno.HttpServer<Deno.NetAddr> {
  const text = (body: string, status = 200) =>
    new Response(body + "\n", { status, headers: { "content-type": "text/plain" } });
  return Deno.serve({ ...listen, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text("method not allowed", 405);
    }
    if (path === "/healthz") return text("ok");
    if (path === "/readyz") return ready() ? text("ready") : text("not ready", 503);
    const route = routes[path];
    return route ? route() : text("not found", 404);
  });
}
