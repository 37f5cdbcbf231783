/**
 * Holding internal names that are not answerable yet (DESIGN section 3): forward first; relay an
 * upstream reply that has answers; otherwise wait until the alias becomes answerable in the
 * client's networks (woken by the index, no polling) or `--wait-timeout` passes since the query
 * arrived, then answer, or relay upstream's negative reply. Before the index's first sync every
 * internal name is held this way, whatever its source.
 *
 * @module
 */

import type { DnsHandler, DnsReply, DnsRequest } from "./handler.ts";
import { answerFromIndex, type InternalAnswerSettings } from "./internal_answer.ts";
import { aliasCandidates, isInternal } from "./names.ts";
import { relay, serverFailure } from "./forward.ts";
import type { Upstream } from "./upstream.ts";
import { responseSummary } from "./wire.ts";

/** How a held query ended. */
export type HoldOutcome = "answered" | "upstream" | "timeout" | "released" | "overflow";

/** Settings of the hold handler. */
export interface HoldSettings extends InternalAnswerSettings {
  upstream: Upstream;
  waitTimeoutMs: number;
  maxPending: number;
}

/**
 * Held queries: bounded, countable, and releasable at shutdown.
 *
 * @example
 * ```ts
 * import { HoldRegistry } from "./hold.ts";
 * const holds = new HoldRegistry(10_000);
 * holds.size; // 0
 * holds.close(); // shutdown: release everything, hold nothing new
 * ```
 */
export class HoldRegistry {
  readonly #max: number;
  readonly #release = new Set<() => void>();
  #closed = false;
  /** Totals of how held queries ended. */
  readonly outcomes: Record<HoldOutcome, number> = {
    answered: 0,
    upstream: 0,
    timeout: 0,
    released: 0,
    overflow: 0,
  };

  constructor(maxPending: number) {
    this.#max = maxPending;
  }

  /** Queries held now. */
  get size(): number {
    return this.#release.size;
  }

  /** True once {@linkcode close} was called: nothing new is held. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Ends every held query at once (answered from the index if possible, else SERVFAIL) and
   * holds no new ones (shutdown).
   */
  close(): void {
    this.#closed = true;
    [...this.#release].forEach((release) => release());
  }

  /** @internal */
  tryAdd(release: () => void): boolean {
    if (this.#release.size >= this.#max) return false;
    this.#release.add(release);
    return true;
  }

  /** @internal */
  delete(release: () => void, outcome: HoldOutcome): void {
    this.#release.delete(release);
    this.outcomes[outcome]++;
  }
}

/** Internal candidates of the request's name. */
function internalCandidates(settings: HoldSettings, request: DnsRequest): string[] {
  return aliasCandidates(request.query.name, settings.searchSuffix)
    .filter((candidate) => isInternal(candidate, settings.internalDomains));
}

/**
 * The hold handler: takes internal names from kubedock sources (all sources before the first
 * sync) that the index could not answer.
 *
 * @example
 * ```ts
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { DnsUpstream } from "./upstream.ts";
 * import { HoldRegistry, holdHandler } from "./hold.ts";
 * const upstream = new DnsUpstream({ hostname: "127.0.0.1", port: 5300 }, 2000);
 * const handler = holdHandler({ index: new NetworkIndex(), ttl: 10, searchSuffix: "ci.svc.cluster.local", internalDomains: [], upstream, waitTimeoutMs: 20000, maxPending: 10000 }, new HoldRegistry(10000));
 * upstream.close();
 * ```
 */
export function holdHandler(settings: HoldSettings, registry: HoldRegistry): DnsHandler {
  return (request) => {
    const { index } = settings;
    if (registry.closed) return undefined; // shutting down: forward instead of holding
    if (index.synced && index.networksOf(request.source).length === 0) return undefined;
    const candidates = internalCandidates(settings, request);
    if (candidates.length === 0) return undefined;
    return hold(settings, registry, request, candidates);
  };
}

function hold(
  settings: HoldSettings,
  registry: HoldRegistry,
  request: DnsRequest,
  candidates: string[],
): Promise<DnsReply> {
  const { index } = settings;
  return new Promise<DnsReply>((resolve) => {
    let done = false;
    let negative: Uint8Array | undefined;
    let upstreamSettled = false;
    let unsubscribe = () => {};
    let subscribedTo: readonly string[] | undefined;

    const finish = (reply: Uint8Array, outcome: HoldOutcome) => {
      if (done) return;
      done = true;
      request.path = outcome === "upstream" ? "forwarded" : "held";
      clearTimeout(timer);
      unsubscribe();
      registry.delete(release, outcome);
      resolve(reply);
    };
    const fallback = () => negative ?? serverFailure(request);
    /** Re-reads the index: answer, give up on a non-kubedock source, or (re)subscribe. */
    const check = () => {
      const networks = index.networksOf(request.source);
      const answer = answerFromIndex(settings, request, networks);
      if (answer) return finish(answer, "answered");
      if (index.synced && networks.length === 0 && upstreamSettled) {
        return finish(fallback(), "upstream");
      }
      if (networks !== subscribedTo) {
        unsubscribe();
        subscribedTo = networks;
        unsubscribe = index.onAnswerable(networks, candidates, check);
      }
    };
    const release = () => {
      const answer = answerFromIndex(settings, request, index.networksOf(request.source));
      finish(answer ?? serverFailure(request), "released");
    };

    if (!registry.tryAdd(release)) {
      registry.outcomes.overflow++;
      request.path = "held";
      resolve(serverFailure(request));
      return;
    }
    const remaining = request.receivedAt + settings.waitTimeoutMs - performance.now();
    const timer = setTimeout(() => finish(fallback(), "timeout"), Math.max(0, remaining));
    check();
    relay(settings.upstream, request).then((reply) => {
      upstreamSettled = true;
      const summary = responseSummary(reply);
      if (summary.answers > 0 || summary.truncated) return finish(reply, "upstream");
      negative = reply;
      check();
    });
  });
}
