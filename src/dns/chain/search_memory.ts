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

/** One note, in the order notes came (the eviction queue). */
interface Note {
  source: string;
  alias: string;
  at: number;
}

/**
 * Bounded memory of (source, alias) pairs, oldest first; notes older than the window are
 * dropped as new ones come, and past `maxEntries` notes the oldest go (a pair noted again is one
 * more note: its earlier one goes first, and only the latest counts). Looked up by source and then by
 * alias, so asking builds no string (it is asked for every bare name a pod forwards).
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
 * const small = new SearchListMemory(8_000, 2);
 * small.note("127.0.0.5", "a", 1);
 * small.note("127.0.0.5", "b", 2);
 * small.note("127.0.0.5", "a", 3); // noted again: now the youngest
 * small.note("127.0.0.5", "c", 4); // past 2 notes: the oldest go, a's first note and b
 * assert.deepEqual(["a", "b", "c"].map((alias) => small.recent("127.0.0.5", alias, 5)), [true, false, true]);
 * for (let at = 5; at < 1_000; at++) small.note("127.0.0.5", "a", at); // one pair, asked again and again
 * assert.equal(small.notes, 2); // the notes kept stay within the bound
 * assert.equal(small.recent("127.0.0.5", "a", 1_000), true);
 * ```
 */
export class SearchListMemory {
  readonly windowMs: number;
  readonly maxEntries: number;
  /** source → alias → when its suffixed form came */
  #noted = new Map<string, Map<string, number>>();
  /** Every note in time order (a pair noted again appears twice; only its latest counts). */
  #queue: Note[] = [];
  #head = 0;

  constructor(windowMs: number, maxEntries = 100_000) {
    this.windowMs = windowMs;
    this.maxEntries = maxEntries;
  }

  /** Notes kept now (at most `maxEntries`). */
  get notes(): number {
    return this.#queue.length - this.#head;
  }

  /** `source` asked for `alias`'s suffixed form at `now` (ms, any monotonic clock). */
  note(source: string, alias: string, now: number): void {
    let aliases = this.#noted.get(source);
    if (!aliases) this.#noted.set(source, aliases = new Map());
    aliases.set(alias, now);
    this.#queue.push({ source, alias, at: now });
    while (this.#head < this.#queue.length) {
      const oldest = this.#queue[this.#head];
      if (now - oldest.at < this.windowMs && this.notes <= this.maxEntries) break;
      this.#head++;
      const of = this.#noted.get(oldest.source);
      if (of?.get(oldest.alias) !== oldest.at) continue; // noted again since: a later note counts
      of.delete(oldest.alias);
      if (of.size === 0) this.#noted.delete(oldest.source);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Whether `source` asked for `alias`'s suffixed form less than the window before `now`. */
  recent(source: string, alias: string, now: number): boolean {
    const at = this.#noted.get(source)?.get(alias);
    return at !== undefined && now - at < this.windowMs;
  }
}
