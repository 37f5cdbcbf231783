/**
 * The answers of the fake API server: JSON bodies and Kubernetes `Status` errors.
 *
 * @module
 */

/**
 * A `Status` object for an error, as kube-apiserver sends it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { status } from "./api_responses.ts";
 * assert.equal(status(410, "Expired", "too old resource version").code, 410);
 * ```
 */
export function status(code: number, reason: string, message: string) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
}

/**
 * A JSON response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { json } from "./api_responses.ts";
 * const response = json({ kind: "PodList" }, 200);
 * assert.equal(response.headers.get("content-type"), "application/json");
 * assert.equal((await response.json()).kind, "PodList");
 * ```
 */
export function json(body: unknown, code = 200): Response {
  return new Response(JSON.stringify(body), {
    status: code,
    headers: { "content-type": "application/json" },
  });
}
