/**
 * Structured logging with LogTape: JSON lines on stderr by default, plain text for humans.
 *
 * @module
 */

import {
  configureSync,
  getLogger,
  getTextFormatter,
  jsonLinesFormatter,
  type Logger,
  type LogRecord,
  resetSync,
} from "@logtape/logtape";
import type { LogLevel } from "../config/config.ts";

const ROOT = "kubedock-dns";

/**
 * Sends every log record at `level` and above to stderr in `format`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configureLogging, logger } from "./log.ts";
 * configureLogging("warning", "text");
 * assert.equal(typeof logger("dns").info, "function");
 * logger("dns").info("listening on {address}", { address: "0.0.0.0:1053" }); // below warning: not written
 * ```
 */
export function configureLogging(level: LogLevel, format: "json" | "text"): void {
  const formatter = format === "json" ? jsonLinesFormatter : getTextFormatter();
  const encoder = new TextEncoder();
  const sink = (record: LogRecord) => {
    try {
      Deno.stderr.writeSync(encoder.encode(formatter(record)));
    } catch { /* stderr gone: nothing to do */ }
  };
  resetSync();
  configureSync({
    sinks: { stderr: sink },
    loggers: [
      { category: [ROOT], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/**
 * The logger of one part of the program (`dns`, `kube`, `webhook`, ...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logger } from "./log.ts";
 * assert.deepEqual(logger("kube").category, ["kubedock-dns", "kube"]);
 * ```
 */
export function logger(part: string): Logger {
  return getLogger([ROOT, part]);
}
