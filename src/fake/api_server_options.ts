/**
 * What a fake API server can be asked to be (its port, its fake kubelet's addresses and pace, its
 * watches' bookmarks, TLS), and the defaults the tests rely on.
 *
 * @module
 */

/** Options of the fake API server. */
export interface FakeApiServerOptions {
  /** Port on `hostname`; 0 picks a free one. */
  port?: number;
  /**
   * The address to listen on: 127.0.0.1 unless given (a network namespace's own address when the
   * API server must be reached from another namespace, as a pod reaches kube-apiserver).
   */
  hostname?: string;
  /** The namespace written into the generated kubeconfig. */
  namespace?: string;
  /** Pod IPs are handed out from `${ipPrefix}${first}` to `${ipPrefix}${last}`. */
  ipPrefix?: string;
  ipFirst?: number;
  ipLast?: number;
  /** Whether new pods turn Ready on their own (as kubelet would). */
  autoReady?: boolean;
  /** How long "kubelet" takes to give a new pod its IP (and readiness). */
  kubeletDelayMs?: number;
  /** BOOKMARK interval on watches that allow bookmarks. */
  bookmarkIntervalMs?: number;
  /** Serve HTTPS with this certificate (for 127.0.0.1) instead of plain HTTP. */
  tls?: { cert: string; key: string };
}

/** The options with every default applied (the namespace and TLS stay optional). */
export type FakeApiServerSettings = Required<Omit<FakeApiServerOptions, "namespace" | "tls">>;

/**
 * Fills in the defaults: a free port, pod IPs 127.0.0.10 to .250, Ready after 5 ms, a bookmark a
 * second.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withDefaults } from "./api_server_options.ts";
 * assert.equal(withDefaults({ ipFirst: 20 }).ipFirst, 20);
 * assert.equal(withDefaults({}).ipPrefix, "127.0.0.");
 * ```
 */
export function withDefaults(options: FakeApiServerOptions): FakeApiServerSettings {
  return {
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    ipPrefix: options.ipPrefix ?? "127.0.0.",
    ipFirst: options.ipFirst ?? 10,
    ipLast: options.ipLast ?? 250,
    autoReady: options.autoReady ?? true,
    kubeletDelayMs: options.kubeletDelayMs ?? 5,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1_000,
  };
}
