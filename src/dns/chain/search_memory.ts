/**
 * Which sources walked the search list for an alias lately: a query for `<alias>.<suffix>` from
 * a source is noted, and for `--wait-timeout` + 5 s that source's bare `<alias>` is not held
 * (docs/dns.md): a resolver that walks the search list asks the bare name last, after it was held
 * once already, and must fail after one `--wait-timeout`, not two. A resolver that asks only the
 * bare name was never noted, so its bare name is held and wins the race.
 *
 * @module
 */

/** How long after the suffixed form the bare form is not held, beyond `--wait-timeout`. */
export const SEARCH_MEMORY_GRACE_MS = 5_000;

/**
 * Bounded memory of (source, alias) pairs, oldest first; entries older than the window are
 * dropped as new ones come, and past `maxEntries` the oldest go.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SearchListMemory } from "./search_memory.ts";
 * const memory = new SearchListMemory(8_000);
 * memory.note("127.0.0.5", "db", 1_000);
 * assert.equal(memory.recent("127.0.0.5", "db", 8_999), true);
 * assert.equal(memory.recent("127.0.0.6", "db", 2_000), false); // another source
 * assert.equal(memory.recent("127.0.0.5", "db", 9_000), false); // the window has passed
 * ```
 */
export class SearchListMemory {
  readonly windowMs: number;
  readonly maxEntries: number;
  /** `source alias` → when its suffixed form came; insertion order is time order */
  #noted = new Map<string, number>();

  constructor(windowMs: number, maxEntries = 100_000) {
    this.windowMs = windowMs;
    this.maxEntries = maxEntries;
  }

  /** `source` asked for `alias`'s suffixed form at `now` (ms, any monotonic clock). */
  note(source: string, alias: string, now: number): void {
    const key = `${source} ${alias}`;
    this.#noted.delete(key); // to the end: the map stays in time order
    this.#noted.set(key, now);
    for (const [oldest, at] of this.#noted) {
      if (now - at < this.windowMs && this.#noted.size <= this.maxEntries) break;
      this.#noted.delete(oldest);
    }
  }

  /** Whether `source` asked for `alias`'s suffixed form less than the window before `now`. */
  recent(source: string, alias: string, now: number): boolean {
    const at = this.#noted.get(`${source} ${alias}`);
    return at !== undefined && now - at < this.windowMs;
  }
}
