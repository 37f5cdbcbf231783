/**
 * The fake API server's kubelet: a new pod gets an IP from a pool (unless it has one), turns
 * Running, and Ready or not; readiness can be flipped later, as probes would.
 *
 * @module
 */

import { ApiError, type KubeObject, type ObjectStore } from "./object_store.ts";

/** How the fake kubelet starts pods. */
export interface FakeKubeletOptions {
  /** Pod IPs are `${ipPrefix}${ipFirst}` to `${ipPrefix}${ipLast}`. */
  ipPrefix: string;
  ipFirst: number;
  ipLast: number;
  /** Whether a started pod is Ready at once. */
  autoReady: boolean;
  /** How long starting a pod takes. */
  delayMs: number;
}

/**
 * Starts pods of an object store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeKubelet } from "./kubelet.ts";
 * import { ObjectStore } from "./object_store.ts";
 * const store = new ObjectStore();
 * const kubelet = new FakeKubelet(store, { ipPrefix: "127.0.0.", ipFirst: 10, ipLast: 20, autoReady: false, delayMs: 0 });
 * store.create("pods", "ci", { metadata: { name: "db1" } });
 * kubelet.start("ci", "db1");
 * await new Promise((r) => setTimeout(r, 10));
 * assert.equal((store.get("pods", "ci", "db1").status as { podIP: string }).podIP, "127.0.0.10");
 * kubelet.setReady("ci", "db1", true);
 * kubelet.stop();
 * ```
 */
export class FakeKubelet {
  readonly #store: ObjectStore;
  readonly #options: FakeKubeletOptions;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(store: ObjectStore, options: FakeKubeletOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Starts the pod after `delayMs`: an IP, phase Running, Ready as `autoReady` says. */
  start(namespace: string, name: string): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      let pod: KubeObject;
      try {
        pod = this.#store.get("pods", namespace, name);
      } catch {
        return; // deleted meanwhile
      }
      const status = { ...(pod.status as Record<string, unknown> ?? {}) };
      if (!status.podIP) {
        const ip = this.#freeIp();
        Object.assign(status, { podIP: ip, podIPs: [{ ip }] });
      }
      status.phase = "Running";
      status.conditions = [{ type: "Ready", status: this.#options.autoReady ? "True" : "False" }];
      this.#store.update("pods", namespace, name, { ...pod, status });
    }, this.#options.delayMs);
    this.#timers.add(timer);
  }

  /** Sets a pod's Ready condition. */
  setReady(namespace: string, name: string, ready: boolean): KubeObject {
    const pod = this.#store.get("pods", namespace, name);
    const status = (pod.status ?? {}) as Record<string, unknown>;
    const conditions = ((status.conditions ?? []) as { type: string }[]).filter((c) =>
      c.type !== "Ready"
    );
    conditions.push({ type: "Ready", status: ready ? "True" : "False" } as { type: string });
    return this.#store.update("pods", namespace, name, {
      ...pod,
      status: { ...status, conditions },
    });
  }

  /** Starts nothing more. */
  stop(): void {
    this.#timers.forEach((timer) => clearTimeout(timer));
    this.#timers.clear();
  }

  #freeIp(): string {
    const used = new Set(
      this.#store.list("pods", undefined, () => true).items.map((p) =>
        (p.status as { podIP?: string } | undefined)?.podIP
      ),
    );
    const { ipPrefix, ipFirst, ipLast } = this.#options;
    for (let i = ipFirst; i <= ipLast; i++) {
      if (!used.has(`${ipPrefix}${i}`)) return `${ipPrefix}${i}`;
    }
    throw new ApiError(500, "InternalError", "fake kubelet: pod IP pool exhausted");
  }
}
