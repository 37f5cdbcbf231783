/**
 * The HTTP/1.1 the webhook speaks, as pure functions over bytes and text: where a request's head
 * ends, what the head says (method, path, body length, whether the connection stays open), and a
 * response encoded whole. Only what an API server sends a webhook is accepted: a body framed by
 * `Content-Length` (a `Transfer-Encoding` is refused with 501), heads of at most
 * {@linkcode MAX_HEAD_BYTES}.
 *
 * @module
 */

/** The largest request head read (request line and headers); past it: 431. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** What a request's head says. */
export interface RequestHead {
  method: string;
  /** The request target without its query. */
  path: string;
  /** The body's length in bytes (0 without `Content-Length`). */
  contentLength: number;
  /** The client asked to close after this request (`Connection: close`, or HTTP/1.0). */
  close: boolean;
  /** The client waits for `100 Continue` before it sends the body. */
  expectContinue: boolean;
}

/** A head that cannot be served: the status to answer with (the connection is closed after). */
export interface HeadError {
  status: number;
  error: string;
}

/**
 * The length of the head at the start of `bytes`, up to and including its blank line; -1 when
 * the blank line has not arrived yet (looked for from `from`, where the last look stopped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headLength } from "./http1.ts";
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nhost: x\r\n\r\nbody");
 * assert.equal(headLength(bytes), bytes.length - 4);
 * assert.equal(headLength(bytes.subarray(0, 20)), -1);
 * ```
 */
export function headLength(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(from, 3); i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Reads a request head (its text, blank line included). Anything this server does not serve is
 * a {@linkcode HeadError}: a malformed request line or header (400), an HTTP version other than
 * 1.0 or 1.1 (505), a `Transfer-Encoding` (501), a bad or repeated `Content-Length` (400).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRequestHead } from "./http1.ts";
 * const head = parseRequestHead(
 *   "POST /mutate/pods?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n",
 * );
 * assert.deepEqual(head, {
 *   method: "POST",
 *   path: "/mutate/pods",
 *   contentLength: 2,
 *   close: false,
 *   expectContinue: false,
 * });
 * assert.equal(
 *   (parseRequestHead("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") as { status: number }).status,
 *   501,
 * );
 * ```
 */
export function parseRequestHead(text: string): RequestHead | HeadError {
  const lines = text.split("\r\n");
  const [method, target, version, ...rest] = lines[0].split(" ");
  if (!method || !TOKEN.test(method) || !target || rest.length > 0) {
    return { status: 400, error: "a malformed request line" };
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    return { status: 505, error: `HTTP version ${version ?? "(none)"} is not served` };
  }
  let contentLength: string | undefined;
  let close = version === "HTTP/1.0";
  let expectContinue = false;
  // the head ends with an empty line: the last two entries of `lines` are empty
  for (let i = 1; i < lines.length - 2; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) return { status: 400, error: "a malformed header line" };
    const value = line.slice(colon + 1).trim();
    switch (name.toLowerCase()) {
      case "content-length":
        if (!/^\d{1,15}$/.test(value) || (contentLength !== undefined && contentLength !== value)) {
          return { status: 400, error: "a bad Content-Length" };
        }
        contentLength = value;
        break;
      case "transfer-encoding":
        return { status: 501, error: "a Transfer-Encoding is not served: send Content-Length" };
      case "connection":
        if (/(^|,)\s*close\s*(,|$)/i.test(value)) close = true;
        break;
      case "expect":
        if (value.toLowerCase() === "100-continue") expectContinue = true;
        break;
    }
  }
  const query = target.indexOf("?");
  return {
    method,
    path: query < 0 ? target : target.slice(0, query),
    contentLength: contentLength === undefined ? 0 : Number(contentLength),
    close,
    expectContinue,
  };
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

const encoder = new TextEncoder();

/**
 * A response with a JSON body, head and body in one buffer (one write, so no part of it waits
 * for an ACK of another); `close` adds `Connection: close`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResponse } from "./http1.ts";
 * assert.equal(
 *   new TextDecoder().decode(encodeResponse(404, '{"error":"ü"}', true)),
 *   'HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 14\r\n' +
 *     'connection: close\r\n\r\n{"error":"ü"}',
 * );
 * ```
 */
export function encodeResponse(status: number, json: string, close: boolean): Uint8Array {
  // room for the head (ASCII) and the body (at most 3 bytes per UTF-16 unit)
  const out = new Uint8Array(160 + json.length * 3);
  const headStart = `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}\r\n` +
    "content-type: application/json\r\ncontent-length: ";
  const headEnd = close ? "\r\nconnection: close\r\n\r\n" : "\r\n\r\n";
  // the body first, after room for the head, to learn its length
  const bodyAt = 160;
  const bodyLength = encoder.encodeInto(json, out.subarray(bodyAt)).written;
  const head = encoder.encode(`${headStart}${bodyLength}${headEnd}`);
  const start = bodyAt - head.length;
  out.set(head, start);
  return out.subarray(start, bodyAt + bodyLength);
}
