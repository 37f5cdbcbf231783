/**
 * The pod watch loop: list (server-side label selector, paginated) applied to the index as one
 * replacement, then watch from the list's resourceVersion with bookmarks. A closed or cut stream
 * resumes from the last resourceVersion seen; a silent one is abandoned after `idleTimeoutMs`;
 * `410 Gone` relists; refused connections and errors back off exponentially with jitter. The
 * loop runs until its signal aborts.
 *
 * @module
 */

import type { V1Pod } from "@kubernetes/client-node";
import type { Logger } from "@logtape/logtape";
import type { NetworkIndex } from "../index/network_index.ts";
import { type PodRecord, sameRecord } from "../index/pod_record.ts";
import { type KubeApi, KubeApiError } from "./api_client.ts";
import { retry } from "../common/backoff.ts";
import { EmptyWatch, Gone } from "./watch_errors.ts";

/** Options of the watch loop. */
export interface PodWatcherOptions {
  api: KubeApi;
  index: NetworkIndex;
  /** Server-side selector, e.g. `kubedock=true`. */
  labelSelector: string;
  /** Watch the pods of every namespace (`/api/v1/pods`) instead of the connection's one. */
  allNamespaces?: boolean;
  toRecord: (pod: V1Pod) => PodRecord | undefined;
  log: Logger;
  /** A watch with no bytes (events or bookmarks) for this long is abandoned and resumed. */
  idleTimeoutMs?: number;
  /** Asked of the server per watch; it closes the stream after about this long. */
  watchTimeoutSeconds?: number;
  /** First and largest retry delay. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** List page size. */
  pageSize?: number;
  /** Called after each event is applied (for metrics). */
  onEvent?: (type: string) => void;
}

/** Counters of the loop's life. */
export interface PodWatcherStats {
  relists: number;
  reconnects: number;
  errors: number;
  events: Record<string, number>;
}

interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: V1Pod & { code?: number; message?: string };
}

/**
 * Keeps a {@linkcode NetworkIndex} equal to the opted-in pods of one namespace, or of every
 * namespace (`allNamespaces`: one list + watch of `/api/v1/pods`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { FakeApiServer } from "../fake/api_server.ts";
 * import { kubedockPod } from "../fake/kubedock_pod.ts";
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { KubeApi } from "./api_client.ts";
 * import { loadConnection } from "./connection.ts";
 * import { podToRecord } from "./pod_to_record.ts";
 * import { PodWatcher } from "./pod_watcher.ts";
 * const fake = FakeApiServer.start({ namespace: "ci" });
 * await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
 * const contract = { label: "kubedock", hostaliasPrefix: "kubedock.hostalias/", networkPrefix: "kubedock.network/" };
 * const index = new NetworkIndex();
 * const watcher = new PodWatcher({
 *   api: new KubeApi(await loadConnection({ kubeconfig: await fake.writeKubeconfig() })),
 *   index,
 *   labelSelector: "kubedock=true",
 *   toRecord: (pod) => podToRecord(pod, contract),
 *   log: getLogger(["kubedock-dns", "kube"]),
 * });
 * const stop = new AbortController();
 * const running = watcher.run(stop.signal);
 * while (index.addresses(["n1"], "db") === undefined) await new Promise((r) => setTimeout(r, 10));
 * assert.equal(index.podCount, 1);
 * stop.abort();
 * await running;
 * await fake.stop();
 * ```
 */
export class PodWatcher {
  readonly stats: PodWatcherStats = { relists: 0, reconnects: 0, errors: 0, events: {} };
  readonly #o: Required<Omit<PodWatcherOptions, "onEvent">> & Pick<PodWatcherOptions, "onEvent">;
  #resourceVersion: string | undefined;

  constructor(options: PodWatcherOptions) {
    this.#o = {
      idleTimeoutMs: 90_000,
      watchTimeoutSeconds: 300 + Math.floor(Math.random() * 300),
      backoffInitialMs: 250,
      backoffMaxMs: 10_000,
      pageSize: 500,
      ...options,
      allNamespaces: options.allNamespaces ?? false,
    };
  }

  /** The last resourceVersion applied. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /**
   * Runs until `signal` aborts; never throws. Each session (a list when there is no
   * resourceVersion, then one watch stream) that fails is retried with the shared back-off
   * (`src/common/backoff.ts`); a session that ends normally starts the next at once.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await retry({
        what: () => `pod watch from resourceVersion ${this.#resourceVersion ?? "(relist)"}`,
        signal,
        attempt: (progressed) => this.#session(signal, progressed),
        log: this.#o.log,
        initialMs: this.#o.backoffInitialMs,
        maxMs: this.#o.backoffMaxMs,
        onFailure: (error) => {
          if (!(error instanceof EmptyWatch)) this.stats.errors++;
        },
      });
    }
  }

  /** One list (when needed) and one watch stream; throws what should be backed off. */
  async #session(signal: AbortSignal, progressed: () => void): Promise<void> {
    const { log } = this.#o;
    try {
      if (this.#resourceVersion === undefined) {
        await this.#list(signal);
        progressed(); // a later failure of this session backs off from the start
      }
      const started = performance.now();
      const received = await this.#watch(signal, progressed);
      if (signal.aborted) return;
      this.stats.reconnects++;
      log.info("watch ended; resuming from resourceVersion {resourceVersion}", {
        resourceVersion: this.#resourceVersion,
      });
      if (received === 0 && performance.now() - started < 1_000) throw new EmptyWatch();
    } catch (error) {
      if (!(error instanceof Gone) || signal.aborted) throw error;
      log.info("resourceVersion {resourceVersion} is gone (410); relisting", {
        resourceVersion: this.#resourceVersion,
      });
      this.#resourceVersion = undefined; // the next session lists again, at once
    }
  }

  #path(): string {
    return this.#o.allNamespaces
      ? "/api/v1/pods"
      : `/api/v1/namespaces/${this.#o.api.namespace}/pods`;
  }

  async #list(signal: AbortSignal): Promise<void> {
    const { api, labelSelector, pageSize, index, toRecord, log } = this.#o;
    const records: PodRecord[] = [];
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      let page: { metadata: { resourceVersion: string; continue?: string }; items: V1Pod[] };
      try {
        page = await api.json("GET", this.#path(), {
          query: { labelSelector, limit: String(pageSize), continue: continueToken },
          signal,
        });
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 410 && continueToken) {
          continueToken = undefined; // the list expired between pages: start it again
          records.length = 0;
          continue;
        }
        throw error;
      }
      for (const pod of page.items) {
        const record = toRecord(pod);
        if (record) records.push(record);
      }
      resourceVersion = page.metadata.resourceVersion;
      continueToken = page.metadata.continue || undefined;
    } while (continueToken);
    index.replaceAll(records);
    this.#resourceVersion = resourceVersion;
    this.stats.relists++;
    log.info("listed {pods} kubedock pods at resourceVersion {resourceVersion}", {
      pods: records.length,
      resourceVersion,
      networks: index.networkCount,
    });
  }

  /** One watch stream; resolves when the server ends it, or the idle timer does. */
  async #watch(signal: AbortSignal, progressed: () => void): Promise<number> {
    const { api, labelSelector, watchTimeoutSeconds, idleTimeoutMs } = this.#o;
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    let idle = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        abort.abort();
      }, idleTimeoutMs);
    };
    let received = 0;
    try {
      armIdle();
      const response = await api.request("GET", this.#path(), {
        query: {
          labelSelector,
          watch: "true",
          allowWatchBookmarks: "true",
          resourceVersion: this.#resourceVersion,
          timeoutSeconds: String(watchTimeoutSeconds),
        },
        signal: abort.signal,
      });
      if (response.status === 410) {
        await response.body?.cancel();
        throw new Gone();
      }
      if (!response.ok || !response.body) {
        throw new KubeApiError(response.status, await response.text(), "watch pods");
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return received;
        armIdle();
        buffered += value;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) {
            this.#apply(JSON.parse(line) as WatchEvent);
            received++;
            progressed();
          }
        }
      }
    } catch (error) {
      if (idle && !signal.aborted) {
        this.#o.log.warn("pod watch silent for {idleTimeoutMs} ms; abandoning it", {
          idleTimeoutMs,
        });
        return received;
      }
      throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      abort.abort();
    }
  }

  #apply(event: WatchEvent): void {
    const { index, toRecord, log, onEvent } = this.#o;
    const { type, object } = event;
    if (type === "ERROR") {
      if (object.code === 410) throw new Gone();
      throw new Error(`watch error event: ${object.code} ${object.message}`);
    }
    this.stats.events[type] = (this.stats.events[type] ?? 0) + 1;
    if (type !== "BOOKMARK") {
      const uid = object.metadata?.uid;
      const record = type === "DELETED" ? undefined : toRecord(object);
      const before = uid ? index.get(uid) : undefined;
      if (record) index.upsert(record);
      else if (uid) index.remove(uid);
      const changed = record ? !before || !sameRecord(before, record) : before !== undefined;
      if (changed) {
        log.info("pod {pod} {change}", {
          pod: object.metadata?.name,
          change: record ? (before ? "updated" : "indexed") : "removed",
          networks: record?.networks ?? before?.networks,
          aliases: record?.aliases ?? before?.aliases,
          ips: record?.ips ?? before?.ips,
          answerable: record?.answerable ?? false,
        });
      }
    }
    const rv = object.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    onEvent?.(type);
  }
}
