/**
 * Parsing of human-written durations such as `500ms`, `2s`, `1m` or `1m30s`.
 *
 * @module
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses a duration into milliseconds, or returns `undefined` when the text is not one.
 * A bare `0` is accepted; any other number needs a unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./duration.ts";
 * assert.deepEqual(parseDuration("1m30s"), 90000);
 * assert.deepEqual(parseDuration("500ms"), 500);
 * assert.deepEqual(parseDuration("5"), undefined);
 * ```
 */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text.length === 0) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return Math.round(total);
}
