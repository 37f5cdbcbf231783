/**
 * Holding the search-suffixed form of an internal name that is not answerable yet
 * (docs/dns.md). The hold handler wraps `next` (forwarding): upstream's NOERROR (with or without
 * answers) or a truncated reply is relayed at once; after NXDOMAIN, SERVFAIL, REFUSED or no reply
 * the query waits until the alias becomes answerable in the client's networks (woken by the
 * index, no polling) or `--wait-timeout` has passed since it arrived, then is answered, or gets
 * upstream's negative reply. The single-label bare form (`db`) is held the same way, unless the
 * same source asked for its suffixed form in the last `--wait-timeout` + 5 s (it walks the search
 * list, and was held already); other bare forms are never held. Before the index's first sync
 * any source is held. This module decides what is held; hold_registry.ts keeps the held queries.
 *
 * @module
 */

import type { NetworkIndex } from "../../index/network_index.ts";
import type { DnsHandler } from "./handler.ts";
import { answerFromIndex, type InternalAnswerSettings } from "./internal_answer.ts";
import { bareHoldable, heldAlias, type NameRules, searchSuffixFor } from "../wire/names.ts";
import type { HoldLookup, HoldRegistry } from "./hold_registry.ts";

/** Settings of the hold handler. */
export interface HoldSettings extends InternalAnswerSettings, NameRules {
  index: NetworkIndex;
}

/**
 * The hold handler: takes the search-suffixed form of internal names, and the single-label bare
 * form unless its source just asked the suffixed one, from kubedock sources (all sources before
 * the first sync) that the index could not answer; everything else goes to `next` untouched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../../index/network_index.ts";
 * import { holdHandler } from "./hold.ts";
 * import { HoldRegistry } from "./hold_registry.ts";
 * const index = new NetworkIndex();
 * index.replaceAll([]);
 * const holds = new HoldRegistry({ maxPending: 100, maxPendingPerSource: 10, waitTimeoutMs: 1000 });
 * const handler = holdHandler({ index, ttl: 10, searchSuffix: "ci.svc.cluster.local", internalDomains: [] }, holds);
 * // a source that is not a kubedock pod goes straight on
 * const reply = handler({ source: "127.0.0.9", query: { name: "db.ci.svc.cluster.local" } } as never, () => null);
 * assert.equal(reply, null);
 * assert.equal(holds.size, 0);
 * ```
 */
export function holdHandler(settings: HoldSettings, registry: HoldRegistry): DnsHandler {
  const { index } = settings;
  const lookup: HoldLookup = {
    answer: (request) => answerFromIndex(settings, request, index.networksOf(request.source)),
    holdable: (request) => !index.synced || index.networksOf(request.source).length > 0,
  };
  index.onAnswerable((alias) => registry.wake(alias));
  index.onFirstSync(() => registry.wakeAll());
  const { searched } = registry;
  return (request, next) => {
    if (registry.closed) return next(request); // shutting down: forward instead of holding
    const { name } = request.query;
    const { source } = request;
    // the name first: most forwarded names are not a held form, and telling needs no index read
    // (but for --all-namespaces, where the suffix is the source's namespace's: one map read)
    const suffixed = heldAlias(name, settings, searchSuffixFor(settings, source));
    if (suffixed !== undefined) {
      if (!lookup.holdable(request)) return next(request);
      searched.note(source, suffixed, request.receivedAt);
      return registry.hold(request, suffixed, lookup, next);
    }
    if (!bareHoldable(name) || searched.recent(source, name, request.receivedAt)) {
      return next(request);
    }
    if (!lookup.holdable(request)) return next(request);
    return registry.hold(request, name, lookup, next);
  };
}
