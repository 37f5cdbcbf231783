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
 * Why the program is not ready (the body of a 503 on `/readyz`), or `undefined` when it is.
 */
export type NotReadyReason = () => string | undefined;

/**
 * Serves the health port until shut down. `/readyz` answers 200 `ready`, or 503 with the reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startHealthServer } from "./health_server.ts";
 * let reason: string | undefined = "stopping";
 * const server = startHealthServer({ hostname: "127.0.0.1", port: 0 }, () => reason);
 * const url = `http://127.0.0.1:${server.addr.port}/readyz`;
 * const stopping = await fetch(url);
 * assert.equal(stopping.status, 503);
 * assert.equal(await stopping.text(), "not ready: stopping\n");
 * reason = undefined;
 * const ready = await fetch(url);
 * await ready.body?.cancel();
 * assert.equal(ready.status, 200);
 * await server.shutdown();
 * ```
 */
export function startHealthServer(
  listen: HostPort,
  notReady: NotReadyReason,
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
    if (path === "/readyz") {
      const reason = notReady();
      return reason === undefined ? text("ready") : text(`not ready: ${reason}`, 503);
    }
    const route = routes[path];
    return route ? route() : text("not found", 404);
  });
}
