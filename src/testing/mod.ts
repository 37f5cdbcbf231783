/**
 * What tests and benchmarks share: real peers (dnsmasq, kubedock-dns as a subprocess), the
 * independent DNS encoder/decoder, index records and waiting. Not part of the program: main.ts
 * imports nothing from here.
 *
 * @module
 */

export {
  type Dnsmasq,
  dnsmasqArgs,
  type DnsmasqOptions,
  startDnsmasq,
  waitForTcp,
} from "./dnsmasq.ts";
export { commandOutput } from "./command.ts";
export { eventually } from "./eventually.ts";
export {
  bootstrappedWebhookArgs,
  DNS_SERVICE_IP,
  startKubeApiserver,
  WEBHOOK_AUTHORITY,
  webhookConfiguration,
} from "./kube_apiserver.ts";
export { kubedockPod } from "../fake/kubedock_pod.ts";
export { dnsOnlyArgs, mainPermissions, type MainProcess, startMain } from "./main_process.ts";
export {
  startTestDnsServer,
  TEST_SEARCH_SUFFIX,
  testServerOptions,
  type TestServerOverrides,
} from "./dns_server.ts";
export {
  decode,
  type DecodedMessage,
  encodeQuery,
  packet,
  parsedQuery,
  soaRecord,
} from "./packet.ts";
export { podRecord } from "./records.ts";
