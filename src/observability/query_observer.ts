/**
 * What happens after each DNS query: the metrics count it and, at debug level only, one log line
 * describes it. At info level nothing per query is logged, and without metrics nothing is called.
 *
 * @module
 */

import type { QueryObserver } from "../dns/sockets/dispatch.ts";
import type { NetworkIndex } from "../index/network_index.ts";
import { logger } from "./log.ts";
import { type ProgramMetrics, qtypeName, rcodeName } from "./program_metrics.ts";

/**
 * The observer for the DNS server, or `undefined` when there is nothing to do per query.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { queryObserver } from "./query_observer.ts";
 * assert.deepEqual(queryObserver(false, new NetworkIndex()), undefined); // no metrics, no debug log
 * ```
 */
export function queryObserver(
  debug: boolean,
  index: NetworkIndex,
  metrics?: ProgramMetrics,
): QueryObserver | undefined {
  if (!debug) return metrics?.observeQuery;
  const log = logger("dns");
  return (request, reply, seconds) => {
    metrics?.observeQuery(request, reply, seconds);
    log.debug("{source} {name} {qtype} via {path}: {rcode} in {micros} µs", {
      source: request.source,
      networks: index.networksOf(request.source),
      name: request.query.name,
      qtype: qtypeName(request.query.qtype),
      path: request.path ?? "forwarded",
      rcode: rcodeName(reply),
      micros: Math.round(seconds * 1e6),
    });
  };
}
