/**
 * The start-up loop probe (CoreDNS's `loop` plugin): a query for a random name is sent upstream
 * once; if that name ever reaches this server, upstream forwards to us and queries loop. The
 * probe's own handler answers it SERVFAIL at once, so the probe cannot circle.
 *
 * @module
 */

import type { DnsHandler, DnsRequest } from "./handler.ts";
import type { InFlightStats } from "./in_flight.ts";
import { serverFailure } from "../wire/reply.ts";
import type { Upstream } from "../upstream/upstream.ts";
import { encodeName } from "../wire/rdata.ts";

/** HINFO: a type no resolver asks for, so the probe is never mistaken for real traffic. */
const QTYPE_HINFO = 13;

function randomLabel(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A loop probe with its random name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LoopProbe } from "./loop_probe.ts";
 * import { parseQuery } from "../wire/query.ts";
 * const seen: string[] = [];
 * const stats = { shared: 0, loops: 0 };
 * const probe = new LoopProbe(stats, (request) => seen.push(request.source));
 * assert.match(probe.name, /^[0-9a-f]{16}\.[0-9a-f]{16}\.kubedock-dns-loop-probe\.invalid$/);
 * const parsed = parseQuery(probe.message());
 * assert.ok(parsed.kind === "query");
 * const reply = probe.handler({ query: parsed.query, source: "127.0.0.1", transport: "udp", receivedAt: 0 }, () => null);
 * assert.equal(seen.length, 1); // the probe came back: a loop
 * assert.equal(stats.loops, 1);
 * assert.notEqual(reply, null);
 * ```
 */
export class LoopProbe {
  /** `<random>.<random>.kubedock-dns-loop-probe.invalid` */
  readonly name = `${randomLabel()}.${randomLabel()}.kubedock-dns-loop-probe.invalid`;
  readonly #stats: InFlightStats;
  readonly #onLoop: (request: DnsRequest) => void;

  /** Each time the probe reaches the server it counts in `stats.loops` and `onLoop` is told. */
  constructor(stats: InFlightStats, onLoop: (request: DnsRequest) => void = () => {}) {
    this.#stats = stats;
    this.#onLoop = onLoop;
  }

  /** The probe query as sent upstream (recursion desired, no EDNS). */
  message(): Uint8Array {
    const name = encodeName(this.name);
    const message = new Uint8Array(12 + name.length + 4);
    crypto.getRandomValues(message.subarray(0, 2));
    message[2] = 0x01; // RD
    message[5] = 1; // QDCOUNT
    message.set(name, 12);
    message[12 + name.length + 1] = QTYPE_HINFO;
    message[12 + name.length + 3] = 1; // class IN
    return message;
  }

  /** Sends the probe upstream once; its reply does not matter, only whether it comes back. */
  async send(upstream: Upstream): Promise<void> {
    const message = this.message();
    await upstream.exchange(message, message.length, "udp");
  }

  /** The handler that recognises the probe coming back: counted, and answered SERVFAIL. */
  readonly handler: DnsHandler = (request, next) => {
    if (request.query.name !== this.name) return next(request);
    request.path = "forwarded";
    this.#stats.loops++;
    this.#onLoop(request);
    return serverFailure(request);
  };
}
