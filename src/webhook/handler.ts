/**
 * What the webhook answers, without HTTP or TLS: a request (method, path, body text) to a status
 * and a JSON document. Admission reviews are decided by {@linkcode reviewPod}; the rest of the
 * webhook's I/O is in connection.ts and server.ts.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { reviewPod, type ReviewResult, type ReviewSettings } from "./review.ts";

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
 * import { webhookHandler } from "./handler.ts";
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
