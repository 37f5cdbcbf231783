/**
 * The answer to a list request: one page of it (`limit` and `continue`, as the real API pages
 * long lists) as a `<Kind>List`, or as a `meta.k8s.io/v1` Table when kubectl asks for one.
 *
 * @module
 */

import type { KubeObject } from "./object_store.ts";
import { podTable } from "./pod_table.ts";

/** How the list was asked for. */
export interface ListRequest {
  kind: string;
  apiVersion: string;
  /** The request's query: `limit` and `continue`. */
  query: URLSearchParams;
  /** Answer a Table (pods, when kubectl's Accept header asks for one). */
  table: boolean;
}

/**
 * The page of `list` that the request asks for, with a `continue` token when more follow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listPage } from "./list_page.ts";
 * const items = [{ metadata: { name: "a" } }, { metadata: { name: "b" } }];
 * const page = listPage({ items, resourceVersion: "7" }, { kind: "Pod", apiVersion: "v1", query: new URLSearchParams("limit=1"), table: false });
 * assert.deepEqual(page, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "7", continue: "1" }, items: [items[0]] });
 * ```
 */
export function listPage(
  list: { items: KubeObject[]; resourceVersion: string },
  request: ListRequest,
): unknown {
  const { items, resourceVersion } = list;
  const { query } = request;
  const limit = Number(query.get("limit") ?? 0);
  const offset = Number(query.get("continue") ?? 0);
  const page = limit > 0 ? items.slice(offset, offset + limit) : items;
  const more = limit > 0 && offset + limit < items.length;
  if (request.table) return podTable(page, resourceVersion);
  return {
    kind: `${request.kind}List`,
    apiVersion: request.apiVersion,
    metadata: { resourceVersion, ...(more ? { continue: String(offset + limit) } : {}) },
    items: page,
  };
}
