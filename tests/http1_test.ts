/**
 * The webhook's HTTP/1.1 framing on its own: every head the server could be sent is either read
 * or refused with a status, never thrown on, and what is read agrees with the head.
 */
import assert from "node:assert/strict";
import { headLength, parseRequestHead } from "../src/webhook/http1.ts";
import { seededRandom } from "./helpers/random.ts";

const PIECES = [
  "POST",
  "GET",
  " ",
  "  ",
  "/mutate/pods",
  "?x=1",
  "HTTP/1.1",
  "HTTP/1.0",
  "HTTP/2",
  "\r\n",
  "\n",
  "\r",
  ":",
  "Content-Length",
  "content-length",
  "Transfer-Encoding",
  "chunked",
  "Connection",
  "close",
  "Expect",
  "100-continue",
  "12",
  "-1",
  "99999999999999999999",
  "\0",
  "ü",
  "\t",
];

Deno.test("HTTP/1.1 heads: any text is read or refused with a status, never thrown on", () => {
  const next = seededRandom(22);
  for (let i = 0; i < 20_000; i++) {
    const parts = Array.from(
      { length: 1 + Math.floor(next() * 24) },
      () => PIECES[Math.floor(next() * PIECES.length)],
    );
    const text = `${parts.join("")}\r\n\r\n`;
    const head = parseRequestHead(text); // must not throw
    if ("error" in head) {
      assert.ok(
        [400, 501, 505].includes(head.status),
        `${head.status} for ${JSON.stringify(text)}`,
      );
    } else {
      assert.ok(Number.isSafeInteger(head.contentLength) && head.contentLength >= 0);
      assert.ok(!head.path.includes("?"));
      assert.ok(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(head.method));
    }
  }
});

Deno.test("HTTP/1.1 heads: what a well-formed head says is what is read", async (t) => {
  await t.step("the length, the close and the continue", () => {
    const head = parseRequestHead(
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nConnection: keep-alive, Close\r\nExpect: 100-continue\r\n\r\n",
    );
    assert.deepEqual(head, {
      method: "POST",
      path: "/a",
      contentLength: 12,
      close: true,
      expectContinue: true,
    });
  });

  await t.step("HTTP/1.0 closes; the same Content-Length twice is one", () => {
    const head = parseRequestHead(
      "POST /a HTTP/1.0\r\ncontent-length: 3\r\nContent-Length: 3\r\n\r\n",
    );
    assert.ok(!("error" in head) && head.close && head.contentLength === 3);
  });

  await t.step("smuggling shapes are refused", () => {
    for (
      const text of [
        "POST /a HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /a HTTP/1.1\r\nContent-Length : 3\r\n\r\n",
        "POST /a HTTP/1.1\r\nContent-Length: +3\r\n\r\n",
        "POST /a HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n",
        "POST  /a HTTP/1.1\r\n\r\n",
      ]
    ) {
      assert.ok("error" in parseRequestHead(text), JSON.stringify(text));
    }
  });

  await t.step("the head's end is found wherever the bytes were cut", () => {
    const bytes = new TextEncoder().encode("POST /a HTTP/1.1\r\nHost: x\r\n\r\nbody");
    const end = bytes.length - 4;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const seen = headLength(bytes.subarray(0, cut));
      assert.equal(seen, cut >= end ? end : -1, `cut at ${cut}`);
      // a look that found nothing in `cut` bytes, resumed over more from `cut - 3` (as the
      // connection does after a read), finds the same end
      if (cut < end) assert.equal(headLength(bytes, Math.max(0, cut - 3)), end);
    }
  });
});
