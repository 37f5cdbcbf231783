/**
 * kubedock-dns: wiring only. Parses flags, then runs the pod watcher, the DNS server, the
 * admission webhook and the health port until SIGINT/SIGTERM.
 *
 * @module
 */

import { type Config, ConfigError, parseConfig } from "./src/config/config.ts";
import { formatHostPort, type HostPort, parseHostPort } from "./src/config/host_port.ts";
import { firstNameserver } from "./src/config/resolv_conf.ts";
import { startDnsServer } from "./src/dns/server.ts";
import { DnsUpstream } from "./src/dns/upstream.ts";
import { NetworkIndex } from "./src/index/network_index.ts";
import { KubeApi } from "./src/kube/api_client.ts";
import { loadConnection } from "./src/kube/connection.ts";
import { podToRecord } from "./src/kube/pod_to_record.ts";
import { PodWatcher } from "./src/kube/pod_watcher.ts";
import { startHealthServer } from "./src/observability/health_server.ts";
import { type RunningWebhook, startWebhook } from "./src/webhook/run_webhook.ts";
import { configureLogging, logger } from "./src/observability/log.ts";

/** Prints one line naming the problem and exits non-zero. */
function die(message: string): never {
  console.error(`kubedock-dns: ${message}`);
  Deno.exit(2);
}

async function defaultUpstream(): Promise<HostPort> {
  const text = await Deno.readTextFile("/etc/resolv.conf").catch((e) =>
    die(`--upstream not given and /etc/resolv.conf unreadable: ${e.message}`)
  );
  const nameserver = firstNameserver(text);
  return (nameserver && parseHostPort(nameserver, 53)) ||
    die("--upstream not given and /etc/resolv.conf names no nameserver");
}

async function main(config: Config): Promise<void> {
  configureLogging(config.logLevel, config.logFormat);
  const log = logger("main");
  const upstreamAddress = config.upstream ?? await defaultUpstream();
  const connection = await loadConnection(config).catch((e) => die(e.message));
  const api = new KubeApi(connection);
  const index = new NetworkIndex();
  const upstream = new DnsUpstream(upstreamAddress, config.upstreamTimeoutMs);
  const dns = (() => {
    try {
      return startDnsServer({
        listen: config.dnsListen,
        index,
        upstream,
        ttl: config.ttl,
        searchSuffix: `${connection.namespace}.svc.${config.clusterDomain}`,
        internalDomains: config.internalDomains,
        waitTimeoutMs: config.waitTimeoutMs,
        maxPending: config.maxPending,
      });
    } catch (e) {
      die(`--dns-listen ${formatHostPort(config.dnsListen)}: ${(e as Error).message}`);
    }
  })();
  const contract = config;
  const watcher = new PodWatcher({
    api,
    index,
    labelSelector: `${config.label}=true`,
    toRecord: (pod) => podToRecord(pod, contract),
    log: logger("kube"),
  });
  const webhook: RunningWebhook | undefined = config.webhook
    ? startWebhook(config, api)
    : undefined;
  const ready = () => index.synced && (webhook?.ready() ?? true);
  const health = (() => {
    try {
      return startHealthServer(config.healthListen, ready);
    } catch (e) {
      die(`--health-listen ${formatHostPort(config.healthListen)}: ${(e as Error).message}`);
    }
  })();
  log.info(
    "serving DNS on {dns} (upstream {upstream}), health on {health}, namespace {namespace} via {source}",
    {
      dns: formatHostPort(dns.address),
      upstream: formatHostPort(upstreamAddress),
      health: formatHostPort({ ...config.healthListen, port: health.addr.port }),
      namespace: connection.namespace,
      source: connection.source,
    },
  );

  const stop = new AbortController();
  const watching = watcher.run(stop.signal);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve());
    }
  });
  log.info("stopping");
  stop.abort();
  await Promise.all([watching, dns.close(), health.shutdown(), webhook?.stop()]);
  upstream.close();
  Deno.exit(0);
}

if (import.meta.main) {
  let config: Config;
  try {
    config = parseConfig(Deno.args);
  } catch (error) {
    if (error instanceof ConfigError) die(error.message);
    throw error;
  }
  await main(config);
}
