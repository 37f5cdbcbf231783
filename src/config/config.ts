/**
 * The program's configuration: every command-line flag of docs/flags.md, parsed and checked.
 *
 * @module
 */

import { parseDuration } from "./duration.ts";
import { formatHostPort, type HostPort, parseHostPort, reaches } from "./host_port.ts";

/** Log verbosity accepted by `--log-level`. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** The whole configuration, with defaults applied. */
export interface Config {
  kubeconfig?: string;
  namespace?: string;
  label: string;
  hostaliasPrefix: string;
  networkPrefix: string;
  dnsListen: HostPort;
  /** `undefined` means: the first nameserver of /etc/resolv.conf, port 53. */
  upstream?: HostPort;
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
  /** On SIGTERM, everything is finished or cut off within this. */
  shutdownTimeoutMs: number;
  /** Serve `GET /debug/networks` on the health port. */
  debugEndpoints: boolean;
  /** Count queries and serve `/metrics`. */
  metrics: boolean;
}

/**
 * A bad command line; `message` is the one line to print.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError, parseConfig } from "./config.ts";
 * assert.throws(() => parseConfig(["--ttl", "soon"]), (error) => {
 *   assert.ok(error instanceof ConfigError);
 *   assert.equal(error.message, 'invalid value "soon" for --ttl: want a whole number from 0 to 2147483647');
 *   return true;
 * });
 * ```
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The configuration used when no flag is given (upstream left to resolv.conf). */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  label: "kubedock",
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
  shutdownTimeoutMs: 10_000,
  debugEndpoints: false,
  metrics: true,
});

type Setter = (config: Config, value: string, flag: string) => void;

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function fail(flag: string, value: string, want: string): never {
  throw new ConfigError(`invalid value ${JSON.stringify(value)} for --${flag}: want ${want}`);
}

function address(key: "dnsListen" | "upstream" | "webhookListen" | "healthListen"): Setter {
  return (config, value, flag) => {
    const parsed = parseHostPort(value, key === "upstream" ? 53 : undefined);
    config[key] = parsed ?? fail(flag, value, "HOST:PORT");
  };
}

function duration(
  key:
    | "upstreamTimeoutMs"
    | "waitTimeoutMs"
    | "tlsReloadIntervalMs"
    | "shutdownTimeoutMs"
    | "tcpIdleTimeoutMs",
): Setter {
  return (config, value, flag) => {
    const ms = parseDuration(value);
    config[key] = ms !== undefined && ms > 0
      ? ms
      : fail(flag, value, "a duration like 500ms, 2s, 1m");
  };
}

function integer(
  key:
    | "maxPending"
    | "maxPendingPerSource"
    | "tcpMax"
    | "tcpMaxPerSource"
    | "ttl"
    | "clientNdots"
    | "clientTimeout"
    | "clientAttempts",
  min: number,
  max: number,
): Setter {
  return (config, value, flag) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    config[key] = n >= min && n <= max
      ? n
      : fail(flag, value, `a whole number from ${min} to ${max}`);
  };
}

function text(
  key:
    | "kubeconfig"
    | "label"
    | "hostaliasPrefix"
    | "networkPrefix"
    | "tlsCert"
    | "tlsKey"
    | "tlsSecret"
    | "webhookConfig"
    | "dnsService",
): Setter {
  return (config, value, flag) => {
    config[key] = value.length > 0 ? value : fail(flag, value, "a non-empty value");
  };
}

function domain(value: string, flag: string): string {
  const lower = value.toLowerCase().replace(/^\.|\.$/g, "");
  return DNS_NAME.test(lower) ? lower : fail(flag, value, "a DNS domain");
}

const VALUE_FLAGS: Record<string, Setter> = {
  "kubeconfig": text("kubeconfig"),
  "namespace": (c, v, f) => {
    c.namespace = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v)
      ? v
      : fail(f, v, "a namespace name");
  },
  "label": text("label"),
  "hostalias-prefix": text("hostaliasPrefix"),
  "network-prefix": text("networkPrefix"),
  "dns-listen": address("dnsListen"),
  "upstream": address("upstream"),
  "upstream-timeout": duration("upstreamTimeoutMs"),
  "wait-timeout": duration("waitTimeoutMs"),
  "max-pending": integer("maxPending", 0, 1_000_000),
  "max-pending-per-source": integer("maxPendingPerSource", 0, 1_000_000),
  "tcp-max": integer("tcpMax", 1, 100_000),
  "tcp-max-per-source": integer("tcpMaxPerSource", 1, 100_000),
  "tcp-idle-timeout": duration("tcpIdleTimeoutMs"),
  "ttl": integer("ttl", 0, 2_147_483_647),
  "cluster-domain": (c, v, f) => (c.clusterDomain = domain(v, f)),
  "internal-domain": (c, v, f) => c.internalDomains.push(domain(v, f)),
  "webhook-listen": address("webhookListen"),
  "tls-cert": text("tlsCert"),
  "tls-key": text("tlsKey"),
  "tls-secret": text("tlsSecret"),
  "webhook-config": text("webhookConfig"),
  "tls-reload-interval": duration("tlsReloadIntervalMs"),
  "shutdown-timeout": duration("shutdownTimeoutMs"),
  "dns-service": text("dnsService"),
  "client-ndots": integer("clientNdots", 0, 15),
  "client-timeout": integer("clientTimeout", 1, 30),
  "client-attempts": integer("clientAttempts", 1, 5),
  "health-listen": address("healthListen"),
  "log-level": (c, v, f) => {
    c.logLevel = ["debug", "info", "warning", "error"].includes(v)
      ? v as LogLevel
      : fail(f, v, "debug, info, warning or error");
  },
  "log-format": (c, v, f) => {
    c.logFormat = v === "json" || v === "text" ? v : fail(f, v, "json or text");
  },
};

const SWITCH_FLAGS: Record<string, (config: Config) => void> = {
  "no-webhook": (c) => (c.webhook = false),
  "debug-endpoints": (c) => (c.debugEndpoints = true),
  "no-metrics": (c) => (c.metrics = false),
};

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
  if (config.upstream && reaches(config.upstream, config.dnsListen)) {
    throw new ConfigError(ownUpstreamMessage(config.upstream, config.dnsListen));
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
