/**
 * Which aliases a query name may stand for, and whether a name is internal (docs/dns.md).
 *
 * @module
 */

/** Settings that decide how query names map to aliases. */
export interface NameRules {
  /** `<namespace>.svc.<cluster-domain>`: the search suffix a client appends first. */
  searchSuffix: string;
  /**
   * With `--all-namespaces`: the search suffix of the source's own namespace (`undefined` for a
   * source that is no indexed pod), instead of `searchSuffix`.
   */
  searchSuffixOf?: (source: string) => string | undefined;
  /** `--internal-domain` values, lowercase without dots at the ends. */
  internalDomains: readonly string[];
}

/**
 * The search suffix of a query's source: its own namespace's with `--all-namespaces`, else the
 * one namespace's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { searchSuffixFor } from "./names.ts";
 * assert.equal(searchSuffixFor({ searchSuffix: "ci.svc.cluster.local" }, "127.0.0.2"), "ci.svc.cluster.local");
 * const perNamespace = { searchSuffix: "", searchSuffixOf: (ip: string) => ip === "127.0.0.2" ? "team-a.svc.cluster.local" : undefined };
 * assert.equal(searchSuffixFor(perNamespace, "127.0.0.2"), "team-a.svc.cluster.local");
 * assert.equal(searchSuffixFor(perNamespace, "127.0.0.9"), undefined);
 * ```
 */
export function searchSuffixFor(
  rules: Pick<NameRules, "searchSuffix" | "searchSuffixOf">,
  source: string,
): string | undefined {
  return rules.searchSuffixOf ? rules.searchSuffixOf(source) : rules.searchSuffix;
}

/**
 * `searchSuffixOf` for `--all-namespaces`: the source's namespace (from the index) and its
 * suffix `<namespace>.svc.<clusterDomain>`, built once per namespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { perNamespaceSuffix } from "./names.ts";
 * const suffixOf = perNamespaceSuffix((ip) => ip === "127.0.0.2" ? "team-a" : undefined, "cluster.local");
 * assert.equal(suffixOf("127.0.0.2"), "team-a.svc.cluster.local");
 * assert.equal(suffixOf("127.0.0.9"), undefined);
 * ```
 */
export function perNamespaceSuffix(
  namespaceOf: (source: string) => string | undefined,
  clusterDomain: string,
): (source: string) => string | undefined {
  const suffixes = new Map<string, string>();
  return (source) => {
    const namespace = namespaceOf(source);
    if (namespace === undefined) return undefined;
    let suffix = suffixes.get(namespace);
    if (suffix === undefined) suffixes.set(namespace, suffix = `${namespace}.svc.${clusterDomain}`);
    return suffix;
  };
}

/**
 * The name with `.<searchSuffix>` removed, or `undefined` when it does not end so.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutSearchSuffix } from "./names.ts";
 * assert.deepEqual(withoutSearchSuffix("db.ci.svc.cluster.local", "ci.svc.cluster.local"), "db");
 * ```
 */
export function withoutSearchSuffix(
  name: string,
  searchSuffix: string | undefined,
): string | undefined {
  if (searchSuffix === undefined) return undefined;
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
 * import assert from "node:assert/strict";
 * import { isInternal } from "./names.ts";
 * assert.deepEqual(isInternal("db", []), true);
 * assert.deepEqual(isInternal("db.example.com", []), false);
 * assert.deepEqual(isInternal("kafka.test", ["test"]), true);
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

/**
 * The alias a query may be held for by its suffixed form: the search-suffixed form
 * `<alias>.<searchSuffix>` of an internal alias, which every resolver that walks the search list
 * asks first (docs/dns.md). `undefined` for any other name (the single-label bare form has a
 * rule of its own: {@linkcode bareHoldable}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heldAlias } from "./names.ts";
 * const rules = { searchSuffix: "ci.svc.cluster.local", internalDomains: ["test"] };
 * assert.equal(heldAlias("db.ci.svc.cluster.local", rules), "db");
 * assert.equal(heldAlias("kafka.test.ci.svc.cluster.local", rules), "kafka.test");
 * assert.equal(heldAlias("db", rules), undefined); // not the suffixed form (see bareHoldable)
 * assert.equal(heldAlias("db.example.com.ci.svc.cluster.local", rules), undefined); // not internal
 * ```
 */
export function heldAlias(
  name: string,
  rules: NameRules,
  searchSuffix: string | undefined = rules.searchSuffix,
): string | undefined {
  const alias = withoutSearchSuffix(name, searchSuffix);
  return alias !== undefined && isInternal(alias, rules.internalDomains) ? alias : undefined;
}

/**
 * Whether a query name is the single-label bare form (`db`), which is held too unless its
 * source just walked the search list for it (docs/dns.md): a resolver that asks only the bare
 * name (c-ares' `dns.resolve4`) then also wins the race.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bareHoldable } from "./names.ts";
 * assert.equal(bareHoldable("db"), true);
 * assert.equal(bareHoldable("db.test"), false); // more than one label: never held bare
 * assert.equal(bareHoldable(""), false); // the root
 * ```
 */
export function bareHoldable(name: string): boolean {
  return name.length > 0 && !name.includes(".");
}

/** Longest name in text form (RFC 1035: 255 octets on the wire). */
export const MAX_NAME_LENGTH = 253;
/** Longest label, in octets. */
export const MAX_LABEL_LENGTH = 63;

const encoder = new TextEncoder();

/**
 * Why a dotted name (no trailing dot) cannot be written in a DNS message, or `undefined` when it
 * can: an empty label, a label over 63 octets (UTF-8), or a name over 253 characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameEncodingProblem } from "./names.ts";
 * assert.equal(nameEncodingProblem("frikandel.nl"), undefined);
 * assert.equal(nameEncodingProblem("a..b"), "empty label");
 * assert.equal(nameEncodingProblem("x".repeat(64)), "label over 63 octets");
 * assert.equal(nameEncodingProblem("ab.".repeat(100) + "c"), "name over 253 characters");
 * ```
 */
export function nameEncodingProblem(name: string): string | undefined {
  if (name.length === 0) return "empty name";
  let octets = 0;
  for (const label of name.split(".")) {
    const length = encoder.encode(label).length;
    if (length === 0) return "empty label";
    if (length > MAX_LABEL_LENGTH) return "label over 63 octets";
    octets += length + 1;
  }
  if (name.length > MAX_NAME_LENGTH || octets + 1 > 255) return "name over 253 characters";
  return undefined;
}
