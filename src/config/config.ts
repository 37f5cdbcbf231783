/**
 * The program's configuration: every command-line flag of docs/flags.md, parsed and checked.
 *
 * @module
 */

import { ConfigError } from "./config_error.ts";
import { SWITCH_FLAGS, VALUE_FLAGS } from "./flag_setters.ts";
import { formatHostPort, type HostPort, reaches } from "./host_port.ts";

export { ConfigError };

/** Log verbosity accepted by `--log-level`. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** The whole configuration, with defaults applied. */
export interface Config {
  kubeconfig?: string;
  namespace?: string;
  /** One list + watch over every namespace; networks, holds and answers per namespace. */
  allNamespaces: boolean;
  label: string;
  hostaliasPrefix: string;
  networkPrefix: string;
  dnsListen: HostPort;
  /** In failover order; empty means: every nameserver of /etc/resolv.conf, port 53. */
  upstreams: HostPort[];
  upstreamTimeoutMs: number;
  waitTimeoutMs: number;
  maxPending: number;
  /** Held queries from one source IP at once. */
  maxPendingPerSource: number;
  /** Open DNS-over-TCP connections in all. */
  tcpMax: number;
  /** Open DNS-over-TCP connections from one source IP. */
  tcpMaxPerSource: number;
  /** An open DNS-over-TCP connection with no query for this long is closed. */
  tcpIdleTimeoutMs: number;
  ttl: number;
  /** Forwarded replies kept at most; 0 turns the cache off. */
  cacheSize: number;
  /** Positive replies are kept at most this long (their own smallest TTL when lower). */
  cacheMaxTtlMs: number;
  /** Negative replies (NXDOMAIN, NODATA) are kept at most this long. */
  cacheNegativeTtlMs: number;
  /** An expired reply may be answered this long past its expiry when every upstream fails. */
  cacheStaleMs: number;
  clusterDomain: string;
  internalDomains: string[];
  webhook: boolean;
  webhookListen: HostPort;
  tlsCert?: string;
  tlsKey?: string;
  tlsSecret?: string;
  webhookConfig?: string;
  /** How often `--tls-cert`/`--tls-key` are re-read for changes. */
  tlsReloadIntervalMs: number;
  dnsService: string;
  clientNdots: number;
  clientTimeout: number;
  clientAttempts: number;
  healthListen: HostPort;
  logLevel: LogLevel;
  logFormat: "json" | "text";
  /** After the first SIGTERM: not ready, still serving everything, for this long (0: none). */
  lameduckMs: number;
  /** After the lameduck, everything is finished or cut off within this. */
  shutdownTimeoutMs: number;
  /** Serve `GET /debug/networks` on the health port. */
  debugEndpoints: boolean;
  /** Count queries and serve `/metrics`. */
  metrics: boolean;
}

/** The configuration used when no flag is given (upstream left to resolv.conf). */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  allNamespaces: false,
  label: "kubedock",
  upstreams: [],
  hostaliasPrefix: "kubedock.hostalias/",
  networkPrefix: "kubedock.network/",
  dnsListen: { hostname: "0.0.0.0", port: 1053 },
  upstreamTimeoutMs: 2_000,
  waitTimeoutMs: 20_000,
  maxPending: 10_000,
  maxPendingPerSource: 256,
  tcpMax: 1_000,
  tcpMaxPerSource: 16,
  tcpIdleTimeoutMs: 10_000,
  ttl: 10,
  cacheSize: 10_000,
  cacheMaxTtlMs: 300_000,
  cacheNegativeTtlMs: 5_000,
  cacheStaleMs: 3_600_000,
  clusterDomain: "cluster.local",
  internalDomains: [],
  webhook: true,
  webhookListen: { hostname: "0.0.0.0", port: 8443 },
  tlsReloadIntervalMs: 10_000,
  dnsService: "kubedock-dns",
  clientNdots: 5,
  clientTimeout: 30,
  clientAttempts: 2,
  healthListen: { hostname: "0.0.0.0", port: 8080 },
  logLevel: "info",
  logFormat: "json",
  lameduckMs: 5_000,
  shutdownTimeoutMs: 10_000,
  debugEndpoints: false,
  metrics: true,
});

/** Every flag the parser takes (`--help` and `--version` are answered before parsing). */
export const FLAG_NAMES: readonly string[] = [
  ...Object.keys(VALUE_FLAGS),
  ...Object.keys(SWITCH_FLAGS),
];

/**
 * Parses command-line arguments into a {@linkcode Config}. Accepts `--flag value` and
 * `--flag=value`. Throws {@linkcode ConfigError} naming the flag on the first bad one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig(["--no-webhook", "--dns-listen", "127.0.0.1:5353", "--ttl=30"]);
 * assert.deepEqual(config.dnsListen.port, 5353);
 * ```
 */
export function parseConfig(args: readonly string[]): Config {
  const config: Config = structuredClone(DEFAULT_CONFIG) as Config;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}: flags start with --`);
    }
    const [, flag, inline] = match;
    if (flag in SWITCH_FLAGS) {
      if (inline !== undefined) throw new ConfigError(`--${flag} takes no value`);
      SWITCH_FLAGS[flag](config);
      continue;
    }
    const setter = VALUE_FLAGS[flag];
    if (!setter) throw new ConfigError(`unknown flag --${flag}`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new ConfigError(`--${flag} needs a value`);
    setter(config, value, flag);
  }
  checkCombinations(config);
  return config;
}

function checkCombinations(config: Config): void {
  for (const upstream of config.upstreams) {
    if (reaches(upstream, config.dnsListen)) {
      throw new ConfigError(ownUpstreamMessage(upstream, config.dnsListen));
    }
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError("--tls-cert and --tls-key go together");
  }
  if ((config.tlsSecret === undefined) !== (config.webhookConfig === undefined)) {
    throw new ConfigError("--tls-secret and --webhook-config go together");
  }
  if (config.tlsCert !== undefined && config.tlsSecret !== undefined) {
    throw new ConfigError("--tls-cert/--tls-key and --tls-secret are alternatives: give one");
  }
  if (!config.webhook) return;
  if (config.tlsCert === undefined && config.tlsSecret === undefined) {
    throw new ConfigError(
      "the webhook needs --tls-cert/--tls-key or --tls-secret/--webhook-config (or --no-webhook)",
    );
  }
  if (config.clientTimeout * 1000 <= config.waitTimeoutMs) {
    throw new ConfigError(
      `--client-timeout ${config.clientTimeout}s must exceed --wait-timeout ` +
        `${config.waitTimeoutMs / 1000}s, or held answers reach clients that gave up`,
    );
  }
}

/**
 * The one line that refuses an upstream which is this server itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownUpstreamMessage } from "./config.ts";
 * assert.match(ownUpstreamMessage({ hostname: "127.0.0.1", port: 1053 }, { hostname: "0.0.0.0", port: 1053 }), /loop/);
 * ```
 */
export function ownUpstreamMessage(upstream: HostPort, listen: HostPort): string {
  return `--upstream ${formatHostPort(upstream)} is this server's own --dns-listen ` +
    `${
      formatHostPort(listen)
    }: every forwarded query would loop back; name the cluster DNS instead`;
}
