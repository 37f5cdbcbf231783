/**
 * Which aliases a query name may stand for, and whether a name is internal (DESIGN section 3).
 *
 * @module
 */

/** Settings that decide how query names map to aliases. */
export interface NameRules {
  /** `<namespace>.svc.<cluster-domain>`: the search suffix a client appends first. */
  searchSuffix: string;
  /** `--internal-domain` values, lowercase without dots at the ends. */
  internalDomains: readonly string[];
}

/**
 * The alias candidates of a lowercase query name: the name itself, and the name with the
 * namespace's search suffix removed.
 *
 * @example
 * ```ts
 * import { aliasCandidates } from "./names.ts";
 * aliasCandidates("db.ci.svc.cluster.local", "ci.svc.cluster.local"); // ["db.ci.svc.cluster.local", "db"]
 * aliasCandidates("db", "ci.svc.cluster.local"); // ["db"]
 * ```
 */
export function aliasCandidates(name: string, searchSuffix: string): string[] {
  const stripped = withoutSearchSuffix(name, searchSuffix);
  return stripped === undefined ? [name] : [name, stripped];
}

/**
 * The name with `.<searchSuffix>` removed, or `undefined` when it does not end so.
 *
 * @example
 * ```ts
 * import { withoutSearchSuffix } from "./names.ts";
 * withoutSearchSuffix("db.ci.svc.cluster.local", "ci.svc.cluster.local"); // "db"
 * ```
 */
export function withoutSearchSuffix(name: string, searchSuffix: string): string | undefined {
  const cut = name.length - searchSuffix.length - 1;
  return cut > 0 && name.endsWith(searchSuffix) && name[cut] === "."
    ? name.slice(0, cut)
    : undefined;
}

/**
 * Whether a candidate is internal: it has no dot, or ends in one of the internal domains.
 *
 * @example
 * ```ts
 * import { isInternal } from "./names.ts";
 * isInternal("db", []); // true
 * isInternal("db.example.com", []); // false
 * isInternal("kafka.test", ["test"]); // true
 * ```
 */
export function isInternal(candidate: string, internalDomains: readonly string[]): boolean {
  if (candidate.length === 0) return false;
  if (!candidate.includes(".")) return true;
  return internalDomains.some((domain) =>
    candidate.endsWith(domain) &&
    (candidate.length === domain.length || candidate[candidate.length - domain.length - 1] === ".")
  );
}
