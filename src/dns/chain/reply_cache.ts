/**
 * The store of forwarded replies: at most `maxEntries` of them, the least recently used evicted
 * first (approximately: "second chance", so a hit only sets a flag instead of reordering the map;
 * an entry used since it was last passed over is moved to the young end once instead of evicted). An entry is fresh for the seconds {@linkcode cacheSeconds} allows and may be answered
 * stale (serve-stale, RFC 8767) for `staleMs` after that. A reply from the store differs from
 * the one upstream sent only in its ID, its question case and its TTLs, which are decremented by
 * the whole seconds it spent here (or set to {@linkcode STALE_TTL} when stale).
 *
 * @module
 */

import { replyFor } from "./in_flight.ts";
import { KEY_SLOTS } from "./request_key.ts";
import { cacheSeconds, type CacheTtlLimits, rewriteTtls } from "./reply_ttl.ts";

/** The TTL of a stale answer (RFC 8767 section 4 suggests 30 seconds). */
export const STALE_TTL = 30;

/** Bounds of the store, from the flags. */
export interface ReplyCacheLimits extends CacheTtlLimits {
  /** Entries at most (`--cache-size`). */
  maxEntries: number;
  /** How long past expiry an entry may still be answered when upstream fails (`--cache-stale`). */
  staleMs: number;
}

/** Counters of the store, read by metrics. */
export interface ReplyCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Answers given from expired entries because upstream failed. */
  stale: number;
}

/** One kept reply: its key, its bytes as received, three times and three marks (all small). */
export interface CacheEntry {
  /** Its key in the store. */
  readonly key: string;
  reply: Uint8Array;
  /** Clock time (ms) when it was stored, expires, and may no longer be answered stale. */
  storedAt: number;
  expiresAt: number;
  staleUntil: number;
  /** Looked up since it was stored or last passed over by eviction. */
  used: boolean;
  /** In the store; false once removed, so that a slot still pointing at it is not believed. */
  live: boolean;
  /** The memo slot that points at it last (-1: none), cleared when it is removed. */
  slot: number;
}

/**
 * The LRU store. Times are milliseconds of one monotonic clock (`performance.now()` in the
 * server), given by the caller: the cache handler passes the query's arrival time, so a hit
 * reads no clock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReplyCache } from "./reply_cache.ts";
 * const cache = new ReplyCache({ maxEntries: 10, maxTtl: 300, negativeTtl: 5, staleMs: 3_600_000 });
 * const reply = new Uint8Array([
 *   0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1,
 *   0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7,
 * ]);
 * assert.equal(cache.store("db/A", reply, 0), true);
 * const found = cache.lookup("db/A", 12_500);
 * assert.ok(found && cache.fresh(found, 12_500));
 * const query = { id: 9, raw: new Uint8Array([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 68, 66, 0, 0, 1, 0, 1]), questionEnd: 20 };
 * const answer = cache.answer(found, query, false, 12_500);
 * assert.equal(answer[1], 9); // the client's ID
 * assert.equal(answer[13], 68); // the client's case
 * assert.equal(answer[29], 48); // TTL 60 - 12
 * const expired = cache.lookup("db/A", 61_000);
 * assert.ok(expired && !cache.fresh(expired, 61_000)); // stale: only for when upstream fails
 * ```
 */
export class ReplyCache {
  readonly limits: Readonly<ReplyCacheLimits>;
  readonly stats: ReplyCacheStats = { hits: 0, misses: 0, evictions: 0, stale: 0 };
  #entries = new Map<string, CacheEntry>();
  /**
   * Entries by their key's memo slot (`keySlotOf`, request_key.ts): a hit reads one slot and
   * compares one key, where the map would hash the key and walk its table, which for a thousand
   * names in turn is a few cache misses more per answer.
   */
  #bySlot: (CacheEntry | undefined)[] = Array.from({ length: KEY_SLOTS }, () => undefined);

  constructor(limits: ReplyCacheLimits) {
    this.limits = limits;
  }

  /** Entries kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The entry for `key`, marked used: fresh, or only good for serve-stale (see
   * {@linkcode ReplyCache.fresh}); expired past the stale window → removed. `slot` is the
   * key's memo slot (`keySlotOf`), -1 when it has none.
   */
  lookup(key: string, now: number, slot = -1): CacheEntry | undefined {
    let entry = slot >= 0 ? this.#bySlot[slot] : undefined;
    if (entry === undefined || !entry.live || entry.key !== key) {
      entry = this.#entries.get(key);
      if (!entry) return undefined;
      if (slot >= 0) {
        this.#bySlot[slot] = entry;
        entry.slot = slot;
      }
    }
    if (now >= entry.staleUntil) {
      this.#remove(entry);
      return undefined;
    }
    entry.used = true;
    return entry;
  }

  /** Whether `entry` may still be answered as it is at `now` (not only stale). */
  fresh(entry: CacheEntry, now: number): boolean {
    return now < entry.expiresAt;
  }

  /** Keeps `reply` under `key` if its rcode and TTLs allow; true when it was kept. */
  store(key: string, reply: Uint8Array, now: number): boolean {
    if (this.limits.maxEntries === 0) return false;
    const seconds = cacheSeconds(reply, this.limits);
    if (seconds <= 0) return false;
    const expiresAt = now + seconds * 1000;
    const old = this.#entries.get(key);
    if (old) this.#remove(old);
    this.#entries.set(key, {
      key,
      reply: reply.slice(),
      storedAt: now,
      expiresAt,
      staleUntil: expiresAt + this.limits.staleMs,
      used: false,
      live: true,
      slot: -1,
    });
    while (this.#entries.size > this.limits.maxEntries) this.#evictOne();
    return true;
  }

  /** Out of the store and of its slot. */
  #remove(entry: CacheEntry): void {
    this.#entries.delete(entry.key);
    entry.live = false;
    if (entry.slot >= 0 && this.#bySlot[entry.slot] === entry) this.#bySlot[entry.slot] = undefined;
  }

  /** Map order is insertion order: the oldest unused entry goes; used ones get a second chance. */
  #evictOne(): void {
    for (const entry of this.#entries.values()) {
      if (!entry.used) {
        this.#remove(entry);
        this.stats.evictions++;
        return;
      }
      entry.used = false;
      this.#entries.delete(entry.key);
      this.#entries.set(entry.key, entry); // to the young end, passed over once
    }
  }

  /**
   * The entry as the answer to `query`: the query's ID and question bytes, every TTL lowered by
   * the whole seconds since it was stored (or {@linkcode STALE_TTL} when `stale`).
   */
  answer(
    entry: CacheEntry,
    query: { id: number; raw: Uint8Array; questionEnd: number },
    stale: boolean,
    now: number,
  ): Uint8Array {
    const copy = replyFor(entry.reply, query);
    const elapsed = Math.floor((now - entry.storedAt) / 1000);
    rewriteTtls(copy, elapsed, stale ? STALE_TTL : -1); // walkable: checked at store
    return copy;
  }
}
