/**
 * Equality- and set-based label selectors as the API server reads them (the subset kubectl and
 * this project send: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`).
 *
 * @module
 */

/** A compiled selector. */
export type LabelSelector = (labels: Record<string, string> | undefined) => boolean;

/**
 * Compiles a selector string; throws on syntax it does not know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLabelSelector } from "./label_selector.ts";
 * const matches = parseLabelSelector("kubedock=true,app!=web");
 * assert.deepEqual(matches({ kubedock: "true" }), true);
 * ```
 */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  const terms = splitTerms(text ?? "").map(compileTerm);
  return (labels) => terms.every((term) => term(labels ?? {}));
}

function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of text) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else current += c;
  }
  if (current.trim()) terms.push(current);
  return terms.map((t) => t.trim()).filter(Boolean);
}

function compileTerm(term: string): (labels: Record<string, string>) => boolean {
  let m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
  if (m) {
    const [, key, op, value] = m;
    return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) {
    const [, key, op, list] = m;
    const values = new Set(list.split(",").map((v) => v.trim()));
    return op === "in"
      ? (l) => key in l && values.has(l[key])
      : (l) => !(key in l && values.has(l[key]));
  }
  m = /^(!?)([\w./-]+)$/.exec(term);
  if (m) {
    const [, not, key] = m;
    return not ? (l) => !(key in l) : (l) => key in l;
  }
  throw new Error(`unable to parse label selector term ${JSON.stringify(term)}`);
}
