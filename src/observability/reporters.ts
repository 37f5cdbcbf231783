/**
 * The log lines of events the DNS server only counts: an upstream going down or back up, a
 * forwarding loop, a reply the permission set refused. Repeated events are logged at most once per
 * interval, with how many there were since the last line.
 *
 * @module
 */

import { WIDEN_HINT } from "../common/net_permission.ts";
import type { DnsRequest, DnsUpstreamOptions } from "../dns/mod.ts";
import { DEFAULT_PROBE_INTERVAL_MS } from "../dns/mod.ts";
import { logger } from "./log.ts";

/** How often at most a repeated event is logged (it is counted every time). */
export const REPORT_INTERVAL_MS = 10_000;

/**
 * Calls `report` with the event's arguments and the number of events since the last report, at
 * most once per `intervalMs`; the events in between are only counted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { atMostEvery } from "./reporters.ts";
 * let now = 0;
 * const lines: string[] = [];
 * const report = atMostEvery(10_000, (count, name: string) => lines.push(`${name} x${count}`), () => now);
 * report("a");
 * report("b");
 * now = 10_000;
 * report("c");
 * assert.deepEqual(lines, ["a x1", "c x2"]);
 * ```
 */
export function atMostEvery<A extends unknown[]>(
  intervalMs: number,
  report: (count: number, ...args: A) => void,
  now: () => number = () => performance.now(),
): (...args: A) => void {
  let lastReported = -Infinity;
  let since = 0;
  return (...args) => {
    since++;
    const at = now();
    if (at - lastReported < intervalMs) return;
    lastReported = at;
    report(since, ...args);
    since = 0;
  };
}

/**
 * Logs an upstream going down (a warning) or coming back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { upstreamReporter } from "./reporters.ts";
 * assert.equal(typeof upstreamReporter(), "function");
 * ```
 */
export function upstreamReporter(): DnsUpstreamOptions["onChange"] {
  const log = logger("dns");
  return (server, failures) => {
    if (server.up) {
      log.info("upstream {upstream} answers again; it is used again", {
        upstream: server.address,
      });
    } else {
      log.warning(
        "upstream {upstream} marked down after {failures} failed attempts in a row; probing it every {probeMs} ms",
        { upstream: server.address, failures, probeMs: DEFAULT_PROBE_INTERVAL_MS },
      );
    }
  };
}

/**
 * Logs a forwarding loop as an error naming the upstream, at most once per interval.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loopReporter } from "./reporters.ts";
 * assert.equal(typeof loopReporter("10.96.0.10:53"), "function");
 * ```
 */
export function loopReporter(upstream: string): (request: DnsRequest) => void {
  const log = logger("dns");
  return atMostEvery(REPORT_INTERVAL_MS, (count, request: DnsRequest) =>
    log.error(
      "forwarding loop: {name} came back from {source} while being asked of upstream {upstream} ({count} since the last report); it is not forwarded again. Point --upstream at the cluster DNS, not at kubedock-dns",
      { name: request.query.name, source: request.source, upstream, count },
    ));
}

/**
 * Logs a reply refused by the `net` permission as an error naming the address and how to widen
 * the set, at most once per interval.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deniedReplyReporter } from "./reporters.ts";
 * assert.equal(typeof deniedReplyReporter(), "function");
 * ```
 */
export function deniedReplyReporter(): (address: string) => void {
  const log = logger("dns");
  return atMostEvery(REPORT_INTERVAL_MS, (count, address: string) =>
    log.error(
      "reply to {address} refused by the net permission set: that address is outside it ({count} refused since the last report; kubedock_dns_replies_denied_total counts them all). {hint}",
      { address, count, hint: WIDEN_HINT },
    ));
}
