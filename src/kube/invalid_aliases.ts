/**
 * Hostalias annotations that cannot be encoded as a DNS name are left out of the index
 * (docs/pods.md): each is reported once per pod and annotation, as a warning line and a count.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";

/** How many distinct reports are remembered (so a pod updated often logs once). */
const REMEMBERED = 10_000;

/**
 * Reports invalid aliases once each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidAliasLog } from "./invalid_aliases.ts";
 * const lines: string[] = [];
 * const log = new InvalidAliasLog((pod, key, reason) => lines.push(`${pod} ${key}: ${reason}`));
 * log.report("db1", "kubedock.hostalias/1", "x".repeat(64), "label over 63 octets");
 * log.report("db1", "kubedock.hostalias/1", "x".repeat(64), "label over 63 octets");
 * assert.equal(log.count, 1);
 * assert.deepEqual(lines, ["db1 kubedock.hostalias/1: label over 63 octets"]);
 * ```
 */
export class InvalidAliasLog {
  /** Distinct invalid aliases seen. */
  count = 0;
  readonly #seen = new Set<string>();
  readonly #write: (pod: string, key: string, reason: string) => void;

  constructor(write: (pod: string, key: string, reason: string) => void) {
    this.#write = write;
  }

  /** A log that writes warning lines to `log`. */
  static to(log: Logger): InvalidAliasLog {
    return new InvalidAliasLog((pod, key, reason) =>
      log.warn("pod {pod}: annotation {key} left out of the index: {reason}", { pod, key, reason })
    );
  }

  /** Reports one invalid alias of `pod` (its namespace/name), once. */
  report(pod: string, key: string, value: string, reason: string): void {
    const id = `${pod}\u0000${key}\u0000${value}`;
    if (this.#seen.has(id)) return;
    if (this.#seen.size >= REMEMBERED) this.#seen.clear();
    this.#seen.add(id);
    this.count++;
    this.#write(pod, key, reason);
  }
}
