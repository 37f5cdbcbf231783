/**
 * The program's configuration: every command-line flag of docs/flags.md, parsed and checked.
 *
 * @module
 */

import { ConfigError } from "./config_error.ts";
import { SWITCH_FLAGS, VALUE_FLAGS } from "./flag_setters.ts";
import { formatHostPort, type HostPort, reaches } from "./host_port.ts";
import { type Config, DEFAULT_CONFIG, type LogLevel } from "./config_type.ts";

export { ConfigError };
export { type Config, DEFAULT_CONFIG, type LogLevel };

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
  if (config.tlsSecret !== undefined && config.certLifetimeMs <= 3 * config.tlsReloadIntervalMs) {
    throw new ConfigError(
      `--cert-lifetime ${config.certLifetimeMs / 1000}s must exceed three times ` +
        `--tls-reload-interval ${config.tlsReloadIntervalMs / 1000}s, or a replica could serve ` +
        "a certificate another replica already renewed until it expires",
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
