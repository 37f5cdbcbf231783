/**
 * A watch of the fake API server as a chunked stream of JSON lines: the events from a
 * resourceVersion on, BOOKMARKs, `timeoutSeconds`, an ERROR event with `410 Gone` for a compacted
 * resourceVersion, and streams the server ends cleanly or cuts (fault injection).
 *
 * @module
 */

import { status } from "./api_responses.ts";
import type { LabelSelector } from "./label_selector.ts";
import { ApiError, type ObjectStore, type WatchSubscription } from "./object_store.ts";
import { podTable } from "./pod_table.ts";

/** An open watch the server can end. */
export interface ActiveWatch {
  /** Ends the stream: cleanly, or `abrupt`ly (cut mid-body). */
  close(abrupt: boolean): void;
}

/** What one watch needs. */
export interface WatchOptions {
  store: ObjectStore;
  /** The server's open watches: this one is added while it is open. */
  watches: Set<ActiveWatch>;
  plural: string;
  kind: string;
  namespace: string | undefined;
  selector: LabelSelector;
  /** `resourceVersion`, `timeoutSeconds`, `allowWatchBookmarks`. */
  query: URLSearchParams;
  /** Send meta.k8s.io Table rows instead of objects (kubectl get -w). */
  table: boolean;
  bookmarkIntervalMs: number;
}

/**
 * The streaming response of one watch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLabelSelector } from "./label_selector.ts";
 * import { ObjectStore } from "./object_store.ts";
 * import { type ActiveWatch, watchResponse } from "./watch_stream.ts";
 * const store = new ObjectStore();
 * const watches = new Set<ActiveWatch>();
 * const response = watchResponse({ store, watches, plural: "pods", kind: "Pod", namespace: "ci", selector: parseLabelSelector(""), query: new URLSearchParams("resourceVersion=0"), table: false, bookmarkIntervalMs: 1000 });
 * store.create("pods", "ci", { metadata: { name: "db1" } });
 * const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
 * const { value } = await reader.read();
 * assert.equal(JSON.parse(value!).type, "ADDED");
 * watches.forEach((watch) => watch.close(false));
 * ```
 */
export function watchResponse(options: WatchOptions): Response {
  const { plural, namespace, selector, query, table, store, watches } = options;
  const fromRv = Number(query.get("resourceVersion") || 0);
  const timeoutSeconds = Number(query.get("timeoutSeconds") || 0);
  const bookmarks = query.get("allowWatchBookmarks") === "true";
  const encoder = new TextEncoder();
  const bookmarkMs = options.bookmarkIntervalMs;
  const kind = options.kind;
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const write = (line: unknown) => {
        if (open) controller.enqueue(encoder.encode(JSON.stringify(line) + "\n"));
      };
      const timers: ReturnType<typeof setTimeout>[] = [];
      const watch: ActiveWatch = {
        close(abrupt) {
          if (!open) return;
          open = false;
          cleanup();
          if (abrupt) controller.error(new Error("watch cut by fault injection"));
          else controller.close();
        },
      };
      const subscription: WatchSubscription = {
        resource: plural,
        namespace,
        selector,
        send: (type, object) =>
          write({
            type,
            object: table ? podTable([object], String(object.metadata?.resourceVersion)) : object,
          }),
      };
      let unsubscribe = () => {};
      cleanup = () => {
        open = false;
        unsubscribe();
        timers.forEach((t) => clearTimeout(t));
        watches.delete(watch);
      };
      try {
        unsubscribe = store.watch(subscription, fromRv);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        write({ type: "ERROR", object: status(error.code, error.reason, error.message) });
        open = false;
        controller.close();
        return;
      }
      watches.add(watch);
      if (bookmarks) {
        const bookmark = () =>
          write({
            type: "BOOKMARK",
            object: {
              kind,
              apiVersion: "v1",
              metadata: { resourceVersion: String(store.resourceVersion) },
            },
          });
        timers.push(setInterval(bookmark, bookmarkMs));
      }
      if (timeoutSeconds > 0) {
        timers.push(setTimeout(() => watch.close(false), timeoutSeconds * 1000));
      }
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(body, {
    headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
  });
}
