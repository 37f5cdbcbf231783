/**
 * The held queries of the hold path (hold.ts decides what is held): bounded in all and per
 * source, woken by alias when it becomes answerable, timed out by one timer in deadline order,
 * released at shutdown. A query held here gets upstream's NOERROR (with or without answers) or
 * truncated reply at once; after a negative reply or none it waits for the index or
 * `--wait-timeout`.
 *
 * @module
 */

import type { DnsReply, DnsRequest, DnsResolver } from "./handler.ts";
import { SEARCH_MEMORY_GRACE_MS, SearchListMemory } from "./search_memory.ts";
import { serverFailure } from "../wire/reply.ts";
import { isTruncated, RCODE, rcodeOf } from "../wire/message.ts";

/** How a query that entered the hold path ended. */
export type HoldOutcome =
  /** answered from the index once the alias became answerable */
  | "answered"
  /** upstream's reply relayed without waiting (NOERROR or truncated: the name exists there) */
  | "relayed"
  /** `--wait-timeout` passed: upstream's negative reply, or SERVFAIL */
  | "timeout"
  /** ended by shutdown */
  | "released"
  /** SERVFAIL at once: `--max-pending` queries were held already */
  | "overflow"
  /** SERVFAIL at once: this source held `--max-pending-per-source` queries already */
  | "source_limit";

/** The bounds of the hold path. */
export interface HoldLimits {
  /** Queries held at once, from all sources. */
  maxPending: number;
  /** Queries held at once from one source IP. */
  maxPendingPerSource: number;
  /** How long a query may wait, counted from its arrival. */
  waitTimeoutMs: number;
}

/** What a held query asks of the index (one shared object per handler, not one per query). */
export interface HoldLookup {
  /** The index's answer for the request, if it has one now. */
  answer(request: DnsRequest): Uint8Array | undefined;
  /** Whether the request's source may still be held (false: synced, and not a kubedock pod). */
  holdable(request: DnsRequest): boolean;
}

/** One held query: a plain record, no closures of its own (a few hundred bytes in all). */
interface Held {
  request: DnsRequest;
  alias: string;
  deadline: number;
  resolve: (reply: DnsReply) => void;
  lookup: HoldLookup;
  /** Upstream's negative reply once it came; `null` when upstream gave none. */
  negative: Uint8Array | null | undefined;
}

/**
 * The held queries: bounded in all and per source, woken by alias, timed out by one timer in
 * deadline order, and releasable at shutdown. Metrics read its counters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HoldRegistry } from "./hold_registry.ts";
 * const holds = new HoldRegistry({ maxPending: 10_000, maxPendingPerSource: 256, waitTimeoutMs: 20_000 });
 * assert.equal(holds.size, 0);
 * holds.close(); // shutdown: release everything, hold nothing new
 * assert.equal(holds.closed, true);
 * ```
 */
export class HoldRegistry {
  readonly limits: Readonly<HoldLimits>;
  /** Totals of how queries in the hold path ended. */
  readonly outcomes: Record<HoldOutcome, number> = {
    answered: 0,
    relayed: 0,
    timeout: 0,
    released: 0,
    overflow: 0,
    source_limit: 0,
  };
  /** every held query, in arrival (so deadline) order */
  #queue = new Set<Held>();
  /** alias → the one query held for it, or a set when there are several (most aliases have one) */
  #byAlias = new Map<string, Held | Set<Held>>();
  #perSource = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Sources that asked an alias's suffixed form lately: their bare form is not held. */
  readonly searched: SearchListMemory;

  constructor(limits: HoldLimits) {
    this.limits = limits;
    this.searched = new SearchListMemory(limits.waitTimeoutMs + SEARCH_MEMORY_GRACE_MS);
  }

  /** Queries held now (waiting on upstream or on the alias). */
  get size(): number {
    return this.#queue.size;
  }

  /** Queries held now from one source IP. */
  heldFrom(source: string): number {
    return this.#perSource.get(source) ?? 0;
  }

  /** True once {@linkcode close} was called: nothing new is held. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Ends every held query at once (answered from the index if possible, else SERVFAIL, so the
   * client asks another replica rather than caching a negative answer) and holds no new ones
   * (shutdown).
   */
  close(): void {
    this.#closed = true;
    for (const held of [...this.#queue]) {
      const reply = held.lookup.answer(held.request) ?? serverFailure(held.request);
      this.#finish(held, reply, "released");
    }
  }

  /**
   * Holds `request` for `alias`: asks `next` (upstream) at once and waits as the module says.
   * A reply `next` has at once (the cache's) that would be relayed is returned as it is, holding
   * nothing. Past a bound the reply is SERVFAIL at once.
   */
  hold(
    request: DnsRequest,
    alias: string,
    lookup: HoldLookup,
    next: DnsResolver,
  ): DnsReply | Promise<DnsReply> {
    if (this.#queue.size >= this.limits.maxPending) {
      request.path = "held";
      return this.#refuse(request, "overflow");
    }
    const fromSource = this.heldFrom(request.source);
    if (fromSource >= this.limits.maxPendingPerSource) {
      request.path = "held";
      return this.#refuse(request, "source_limit");
    }
    const upstream = next(request);
    if (!(upstream instanceof Promise) && upstream && relayable(upstream)) {
      this.outcomes.relayed++; // a cached name that exists upstream: no promise, no record
      return upstream;
    }
    request.path = "held";
    // held up to --wait-timeout: its bytes get a buffer of their own rather than pin a slab
    request.query.raw = request.query.raw.slice();
    return new Promise<DnsReply>((resolve) => {
      const held: Held = {
        request,
        alias,
        deadline: request.receivedAt + this.limits.waitTimeoutMs,
        resolve,
        lookup,
        negative: undefined,
      };
      this.#queue.add(held);
      this.#perSource.set(request.source, fromSource + 1);
      const waiting = this.#byAlias.get(alias);
      if (!waiting) this.#byAlias.set(alias, held);
      else if (waiting instanceof Set) waiting.add(held);
      else this.#byAlias.set(alias, new Set([waiting, held]));
      this.#arm();
      if (upstream instanceof Promise) upstream.then((reply) => this.#upstreamSettled(held, reply));
      else this.#upstreamSettled(held, upstream);
    });
  }

  /** Re-checks the queries held for `alias` (it became answerable in some network). */
  wake(alias: string): void {
    const waiting = this.#byAlias.get(alias);
    if (waiting instanceof Set) { for (const held of [...waiting]) this.#check(held); }
    else if (waiting) this.#check(waiting);
  }

  /** Re-checks every held query (the index was synced for the first time). */
  wakeAll(): void {
    for (const held of [...this.#queue]) this.#check(held);
  }

  #refuse(request: DnsRequest, outcome: HoldOutcome): Uint8Array {
    this.outcomes[outcome]++;
    return serverFailure(request);
  }

  #upstreamSettled(held: Held, reply: DnsReply): void {
    if (!this.#queue.has(held)) return; // answered, timed out or released meanwhile
    if (reply && relayable(reply)) return this.#finish(held, reply, "relayed");
    held.negative = reply && reply.slice(); // kept up to --wait-timeout: a buffer of its own
    this.#check(held);
  }

  #check(held: Held): void {
    const answer = held.lookup.answer(held.request);
    if (answer) return this.#finish(held, answer, "answered");
    // a source that turned out not to be a kubedock pod (known once synced) waits no longer
    if (held.negative !== undefined && !held.lookup.holdable(held.request)) {
      this.#finish(held, fallback(held), "relayed");
    }
  }

  #finish(held: Held, reply: Uint8Array, outcome: HoldOutcome): void {
    if (!this.#queue.delete(held)) return;
    const waiting = this.#byAlias.get(held.alias);
    if (
      waiting === held || (waiting instanceof Set && waiting.delete(held) && waiting.size === 0)
    ) {
      this.#byAlias.delete(held.alias);
    }
    const count = this.heldFrom(held.request.source) - 1;
    if (count > 0) this.#perSource.set(held.request.source, count);
    else this.#perSource.delete(held.request.source);
    this.outcomes[outcome]++;
    if (outcome === "relayed") held.request.path = "forwarded";
    held.resolve(reply);
  }

  /** One timer for all: it fires at the earliest deadline. */
  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#queue.values().next().value;
    if (!first) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      for (const held of this.#queue) {
        if (held.deadline > now) break;
        this.#finish(held, fallback(held), "timeout");
      }
      this.#arm();
    }, Math.max(0, first.deadline - performance.now()));
  }
}

/**
 * Upstream's NOERROR (with or without answers) or a truncated reply: the name exists there. Read
 * from the header bytes (no summary object: the cache's hits of bare names pass here).
 */
function relayable(reply: Uint8Array): boolean {
  return rcodeOf(reply) === RCODE.NOERROR || isTruncated(reply);
}

function fallback(held: Held): Uint8Array {
  return held.negative ?? serverFailure(held.request);
}
