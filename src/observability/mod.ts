/**
 * Logs, metrics, and the health port.
 * What this folder offers the rest of the program; the modules beside it hold the details.
 *
 * @module
 */

export { networksSnapshot } from "./debug_networks.ts";
export { type HealthRoutes, type NotReadyReason, startHealthServer } from "./health_server.ts";
export { configureLogging, logger } from "./log.ts";
export { PROMETHEUS_CONTENT_TYPE } from "./metrics.ts";
export { ProgramMetrics } from "./program_metrics.ts";
export { queryObserver } from "./query_observer.ts";
export {
  atMostEvery,
  deniedReplyReporter,
  loopReporter,
  REPORT_INTERVAL_MS,
  upstreamReporter,
} from "./reporters.ts";
