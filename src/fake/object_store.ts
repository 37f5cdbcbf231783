/**
 * The fake API server's storage: objects of several resources under one resourceVersion
 * counter, an event history for watches, and compaction that makes old versions `410 Gone`.
 *
 * @module
 */

import type { LabelSelector } from "./label_selector.ts";

/** The metadata fields the store manages. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** One change, as a watch sees it. */
export interface StoredEvent {
  rv: number;
  resource: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
  previous?: KubeObject;
}

/**
 * An API error with its HTTP code and reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ApiError } from "./object_store.ts";
 * const gone = new ApiError(410, "Expired", "too old resource version");
 * assert.deepEqual(gone.code, 410);
 * ```
 */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

/** A live watch on one resource. */
export interface WatchSubscription {
  resource: string;
  namespace?: string;
  selector: LabelSelector;
  send(type: "ADDED" | "MODIFIED" | "DELETED", object: KubeObject, rv: number): void;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * In-memory objects with real resourceVersion semantics.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ObjectStore } from "./object_store.ts";
 * const store = new ObjectStore();
 * store.create("pods", "ci", { metadata: { name: "db1" } });
 * assert.deepEqual(store.list("pods", "ci", () => true).items.length, 1);
 * ```
 */
export class ObjectStore {
  #rv = 100;
  #objects = new Map<string, KubeObject>();
  #history: StoredEvent[] = [];
  #compactedThrough = 0;
  #watches = new Set<WatchSubscription>();
  #uid = 0;

  /** The newest resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** Forgets history up to now: watches from an older resourceVersion get `410 Gone`. */
  compact(): void {
    this.#compactedThrough = this.#rv;
    this.#history = [];
  }

  /** Whether a watch may start at `rv`. */
  isCompacted(rv: number): boolean {
    return rv < this.#compactedThrough;
  }

  list(resource: string, namespace: string | undefined, selector: LabelSelector) {
    const items = [...this.#objects.entries()]
      .filter(([key]) =>
        key.startsWith(namespace === undefined ? `${resource}/` : `${resource}/${namespace}/`)
      )
      .map(([, object]) => object)
      .filter((object) => selector(object.metadata?.labels))
      .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))
      .map(clone);
    return { items, resourceVersion: String(this.#rv) };
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject {
    const object = this.#objects.get(key(resource, namespace, name));
    if (!object) throw new ApiError(404, "NotFound", `${resource} "${name}" not found`);
    return clone(object);
  }

  create(resource: string, namespace: string | undefined, object: KubeObject): KubeObject {
    const metadata = { ...object.metadata };
    if (!metadata.name && metadata.generateName) {
      metadata.name = `${metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
    }
    if (!metadata.name) throw new ApiError(422, "Invalid", "metadata.name: Required value");
    const k = key(resource, namespace, metadata.name);
    if (this.#objects.has(k)) {
      throw new ApiError(409, "AlreadyExists", `${resource} "${metadata.name}" already exists`);
    }
    const stored: KubeObject = {
      ...clone(object),
      metadata: {
        ...metadata,
        ...(namespace ? { namespace } : {}),
        uid: crypto.randomUUID?.() ?? `uid-${++this.#uid}`,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    };
    return this.#commit(resource, k, "ADDED", stored);
  }

  /** Replaces an object; a given resourceVersion must be the current one (409 otherwise). */
  update(
    resource: string,
    namespace: string | undefined,
    name: string,
    object: KubeObject,
  ): KubeObject {
    const k = key(resource, namespace, name);
    const current = this.#objects.get(k);
    if (!current) throw new ApiError(404, "NotFound", `${resource} "${name}" not found`);
    const wanted = object.metadata?.resourceVersion;
    if (wanted && wanted !== current.metadata!.resourceVersion) {
      throw new ApiError(
        409,
        "Conflict",
        `the object has been modified; please apply your changes to the latest version`,
      );
    }
    const stored: KubeObject = {
      ...clone(object),
      metadata: {
        ...object.metadata,
        name,
        ...(namespace ? { namespace } : {}),
        uid: current.metadata!.uid,
        creationTimestamp: current.metadata!.creationTimestamp,
      },
    };
    return this.#commit(resource, k, "MODIFIED", stored, current);
  }

  delete(resource: string, namespace: string | undefined, name: string): KubeObject {
    const k = key(resource, namespace, name);
    const current = this.#objects.get(k);
    if (!current) throw new ApiError(404, "NotFound", `${resource} "${name}" not found`);
    return this.#commit(resource, k, "DELETED", clone(current), current);
  }

  /** Subscribes a watch; replays history after `fromRv` first (or the current objects when 0). */
  watch(subscription: WatchSubscription, fromRv: number): () => void {
    if (fromRv > 0 && this.isCompacted(fromRv)) {
      throw new ApiError(
        410,
        "Expired",
        `too old resource version: ${fromRv} (${this.#compactedThrough})`,
      );
    }
    if (fromRv === 0) {
      for (
        const object of this.list(
          subscription.resource,
          subscription.namespace,
          subscription.selector,
        ).items
      ) {
        subscription.send("ADDED", object, Number(object.metadata!.resourceVersion));
      }
    } else {
      for (const event of this.#history) {
        if (event.rv > fromRv) deliver(subscription, event);
      }
    }
    this.#watches.add(subscription);
    return () => this.#watches.delete(subscription);
  }

  #commit(
    resource: string,
    k: string,
    type: StoredEvent["type"],
    object: KubeObject,
    previous?: KubeObject,
  ): KubeObject {
    const rv = ++this.#rv;
    object.metadata!.resourceVersion = String(rv);
    if (type === "DELETED") this.#objects.delete(k);
    else this.#objects.set(k, object);
    const event: StoredEvent = { rv, resource, type, object: clone(object), previous };
    this.#history.push(event);
    if (this.#history.length > 100_000) this.#history.splice(0, 50_000);
    for (const subscription of this.#watches) deliver(subscription, event);
    return clone(object);
  }
}

function key(resource: string, namespace: string | undefined, name: string): string {
  return `${resource}/${namespace ?? ""}/${name}`;
}

/** Sends an event as the subscriber's selector sees it: leaving the selection is a DELETED. */
function deliver(subscription: WatchSubscription, event: StoredEvent): void {
  if (event.resource !== subscription.resource) return;
  const ns = event.object.metadata?.namespace;
  if (subscription.namespace !== undefined && ns !== subscription.namespace) return;
  const now = subscription.selector(event.object.metadata?.labels);
  const before = event.previous ? subscription.selector(event.previous.metadata?.labels) : false;
  if (event.type === "DELETED") {
    if (before) subscription.send("DELETED", event.object, event.rv);
  } else if (now && before && event.type === "MODIFIED") {
    subscription.send("MODIFIED", event.object, event.rv);
  } else if (now) {
    subscription.send("ADDED", event.object, event.rv);
  } else if (before) {
    subscription.send("DELETED", event.object, event.rv);
  }
}
