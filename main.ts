/**
 * kubedock-dns: wiring only. Parses flags, then runs the pod watcher, the DNS server, the
 * admission webhook and the health port until SIGINT/SIGTERM, then shuts down gracefully.
 *
 * @module
 */

import {
  type Config,
  ConfigError,
  formatHostPort,
  helpText,
  type HostPort,
  nameservers,
  ownUpstreamMessage,
  parseConfig,
  parseHostPort,
  reaches,
  VERSION,
} from "./src/config/mod.ts";
import { DnsServerState, DnsUpstream, perNamespaceSuffix, startDnsServer } from "./src/dns/mod.ts";
import { netUnrestricted, podIpOutsideSet, StopSignals } from "./src/common/mod.ts";
import { NetworkIndex } from "./src/index/mod.ts";
import {
  InvalidAliasLog,
  KubeApi,
  loadConnection,
  permittedEnv,
  podToRecord,
  PodWatcher,
} from "./src/kube/mod.ts";
import {
  configureLogging,
  deniedReplyReporter,
  type HealthRoutes,
  logger,
  loopReporter,
  networksSnapshot,
  ProgramMetrics,
  PROMETHEUS_CONTENT_TYPE,
  queryObserver,
  startHealthServer,
  upstreamReporter,
} from "./src/observability/mod.ts";
import { readTlsFiles, type RunningWebhook, startWebhook } from "./src/webhook/mod.ts";

export { VERSION };

/** Prints one line naming the problem and exits non-zero. */
function die(message: string): never {
  console.error(`kubedock-dns: ${message}`);
  Deno.exit(2);
}

/** Runs `start`, or dies with one line naming `flag` when it throws (e.g. address in use). */
function orDie<T>(flag: string, address: HostPort, start: () => T): T {
  try {
    return start();
  } catch (error) {
    die(`--${flag} ${formatHostPort(address)}: ${(error as Error).message}`);
  }
}

/** Every nameserver of resolv.conf; one that is this server is refused (parseConfig checks --upstream). */
async function defaultUpstreams(listen: HostPort): Promise<HostPort[]> {
  const text = await Deno.readTextFile("/etc/resolv.conf").catch((e) =>
    die(`--upstream not given and /etc/resolv.conf unreadable: ${e.message}`)
  );
  const addresses = nameservers(text).map((nameserver) =>
    parseHostPort(nameserver, 53) ??
      die(`--upstream not given and /etc/resolv.conf names ${JSON.stringify(nameserver)}`)
  );
  if (addresses.length === 0) die("--upstream not given and /etc/resolv.conf names no nameserver");
  for (const address of addresses) {
    if (reaches(address, listen)) die(ownUpstreamMessage(address, listen));
  }
  return addresses;
}

async function main(config: Config): Promise<void> {
  configureLogging(config.logLevel, config.logFormat);
  const log = logger("main");
  const signals = new StopSignals(); // from the start: a SIGTERM during start-up still lameducks
  // a replica on a pod network the permission set does not name could answer no pod: not ready
  const outsideSet = podIpOutsideSet(permittedEnv("POD_IP"));
  if (outsideSet) log.error(outsideSet);
  if (netUnrestricted()) {
    log.warning(
      "the net permission is unrestricted (a build for IPv6 pod networks): replies and connections may go to any address the deny list does not name",
    );
  }
  const upstreamAddresses = config.upstreams.length > 0
    ? config.upstreams
    : await defaultUpstreams(config.dnsListen);
  const connection = await loadConnection(config).catch((e) => die(e.message));
  // certificate files are read once, before anything listens, so a bad path stops the start with one line
  const files = config.webhook && config.tlsCert && config.tlsKey
    ? await readTlsFiles(config.tlsCert, config.tlsKey).catch((e) =>
      die(`--tls-cert ${config.tlsCert} / --tls-key ${config.tlsKey}: ${e.message}`)
    )
    : undefined;
  const api = new KubeApi(connection);
  const index = new NetworkIndex();
  const upstream = new DnsUpstream(upstreamAddresses, config.upstreamTimeoutMs, {
    onChange: upstreamReporter(),
  });
  const invalidAliases = InvalidAliasLog.to(logger("kube"));
  const watcher = new PodWatcher({
    api,
    index,
    labelSelector: `${config.label}=true`,
    allNamespaces: config.allNamespaces,
    toRecord: (pod) =>
      podToRecord(pod, config, (key, value, reason) =>
        invalidAliases.report(
          `${pod.metadata?.namespace ?? connection.namespace}/${pod.metadata?.name}`,
          key,
          value,
          reason,
        )),
    log: logger("kube"),
  });
  const state = DnsServerState.fromConfig(config);
  state.denied.listener = deniedReplyReporter();
  const metrics = config.metrics
    ? new ProgramMetrics({
      index,
      dns: state,
      upstream,
      invalidAliases,
      watcher: watcher.stats,
      version: VERSION,
      ready: () => notReady() === undefined,
      certificateNotAfter: () => webhook?.certificateNotAfter(),
    })
    : undefined;
  const dns = orDie("dns-listen", config.dnsListen, () =>
    startDnsServer({
      listen: config.dnsListen,
      index,
      upstream,
      ttl: config.ttl,
      searchSuffix: `${connection.namespace}.svc.${config.clusterDomain}`,
      searchSuffixOf: config.allNamespaces
        ? perNamespaceSuffix((ip) => index.namespaceOf(ip), config.clusterDomain)
        : undefined,
      internalDomains: config.internalDomains,
      state,
      upstreamAddresses,
      onLoop: loopReporter(upstreamAddresses.map(formatHostPort).join(", ")),
      observe: queryObserver(config.logLevel === "debug", index, metrics),
    }));
  const webhook: RunningWebhook | undefined = config.webhook
    ? startWebhook(config, api, { files, onReview: metrics?.observeReview })
    : undefined;
  let stopping = false;
  const notReady = () => {
    if (stopping) return "stopping";
    if (outsideSet) return outsideSet;
    if (!index.synced) return "the first pod list is not applied yet";
    if (webhook && !webhook.ready()) return "the webhook has no certificate or Service IP yet";
    return undefined;
  };
  const routes: HealthRoutes = {};
  if (metrics) {
    routes["/metrics"] = () =>
      new Response(metrics.render(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
  }
  if (config.debugEndpoints) {
    routes["/debug/networks"] = () => Response.json(networksSnapshot(index));
  }
  const health = orDie(
    "health-listen",
    config.healthListen,
    () => startHealthServer(config.healthListen, notReady, routes),
  );
  log.info(
    "serving DNS on {dns} (upstream {upstream}, cache {cacheSize} entries), health on {health}, namespace {namespace} via {source}, pods of every namespace: {allNamespaces}",
    {
      dns: formatHostPort(dns.address),
      upstream: upstreamAddresses.map(formatHostPort).join(", "),
      cacheSize: config.cacheSize,
      health: formatHostPort({ ...config.healthListen, port: health.addr.port }),
      namespace: connection.namespace,
      source: connection.source,
      allNamespaces: config.allNamespaces,
    },
  );

  const stop = new AbortController();
  const watching = watcher.run(stop.signal);
  const signal = await signals.first();
  stopping = true; // /readyz is 503 from now on
  if (config.lameduckMs > 0) {
    log.info(
      "{signal}: lameduck for {lameduckMs} ms (not ready, still serving DNS and the webhook until the endpoint is gone; a second signal skips it)",
      { signal, lameduckMs: config.lameduckMs },
    );
    const end = await signals.lameduck(config.lameduckMs);
    if (end === "second signal") log.info("second signal: lameduck cut short");
  }
  log.info("stopping: draining DNS and webhook (at most {timeoutMs} ms)", {
    timeoutMs: config.shutdownTimeoutMs,
  });
  const drained = (async () => {
    stop.abort();
    await Promise.all([watching, webhook?.stop(), dns.drain(config.shutdownTimeoutMs)]);
    await health.shutdown();
    upstream.close();
  })();
  const timedOut = await Promise.race([
    drained.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.shutdownTimeoutMs)),
  ]);
  log.info(timedOut ? "stopped: shutdown timeout reached" : "stopped");
  Deno.exit(0);
}

if (import.meta.main) {
  if (Deno.args.includes("--help")) {
    console.log(helpText(VERSION));
    Deno.exit(0);
  }
  if (Deno.args.includes("--version")) {
    console.log(`kubedock-dns ${VERSION} (Deno ${Deno.version.deno})`);
    Deno.exit(0);
  }
  let config: Config;
  try {
    config = parseConfig(Deno.args);
  } catch (error) {
    if (error instanceof ConfigError) die(error.message);
    throw error;
  }
  await main(config);
}
