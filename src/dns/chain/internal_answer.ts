/**
 * Answers from the network index: A/AAAA/other types for an answerable alias, PTR for the IP of
 * a pod in the client's networks (docs/dns.md).
 *
 * @module
 */

import type { NetworkIndex } from "../../index/network_index.ts";
import type { DnsHandler, DnsRequest } from "./handler.ts";
import {
  nameEncodingProblem,
  type NameRules,
  searchSuffixFor,
  withoutSearchSuffix,
} from "../wire/names.ts";
import { addressBytes, encodeName, reverseNameToIp } from "../wire/rdata.ts";
import { type AnswerRecord, buildResponse, responseLimit } from "../wire/reply.ts";
import { CLASS_IN, QTYPE, RCODE } from "../wire/message.ts";

/** What the internal answers need. */
export interface InternalAnswerSettings extends Pick<NameRules, "searchSuffix" | "searchSuffixOf"> {
  index: NetworkIndex;
  ttl: number;
}

/**
 * The index's answer to `request` from a client in `networks`, or `undefined` when the index
 * has none (the name is not answerable there).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../../index/network_index.ts";
 * import { parseQuery } from "../wire/query.ts";
 * import { answerFromIndex } from "./internal_answer.ts";
 * const index = new NetworkIndex();
 * index.upsert({ uid: "1", name: "db1", ips: ["127.0.0.2"], aliases: ["db"], networks: ["n1"], answerable: true });
 * const parsed = parseQuery(new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]));
 * assert.ok(parsed.kind === "query");
 * const request = { query: parsed.query, source: "127.0.0.2", transport: "udp" as const, receivedAt: 0 };
 * const answer = answerFromIndex({ index, ttl: 10, searchSuffix: "ci.svc.cluster.local" }, request, index.networksOf(request.source));
 * assert.deepEqual([...answer!.subarray(-4)], [127, 0, 0, 2]);
 * assert.equal(answerFromIndex({ index, ttl: 10, searchSuffix: "ci.svc.cluster.local" }, request, ["n2"]), undefined);
 * ```
 */
export function answerFromIndex(
  settings: InternalAnswerSettings,
  request: DnsRequest,
  networks: readonly string[],
): Uint8Array | undefined {
  const { query } = request;
  if (networks.length === 0 || query.qclass !== CLASS_IN) return undefined;
  const answers = query.qtype === QTYPE.PTR
    ? ptrAnswers(settings, query.name, networks)
    : aliasAnswers(settings, query.name, query.qtype, networks, request.source);
  if (!answers) return undefined;
  return buildResponse(query, RCODE.NOERROR, answers, {
    ttl: settings.ttl,
    authoritative: true,
    limit: responseLimit(query, request.transport),
  });
}

function aliasAnswers(
  settings: InternalAnswerSettings,
  name: string,
  qtype: number,
  networks: readonly string[],
  source: string,
): AnswerRecord[] | undefined {
  const { index } = settings;
  let found = index.addresses(networks, name);
  if (!found) {
    const stripped = withoutSearchSuffix(name, searchSuffixFor(settings, source));
    if (stripped !== undefined) found = index.addresses(networks, stripped);
  }
  if (found) {
    if (qtype === QTYPE.A) return addressRecords(QTYPE.A, found.v4);
    if (qtype === QTYPE.AAAA) return addressRecords(QTYPE.AAAA, found.v6);
    return []; // NODATA for other types of a known name
  }
  return undefined;
}

function addressRecords(type: number, ips: readonly string[]): AnswerRecord[] {
  const records = new Array<AnswerRecord>(ips.length);
  for (let i = 0; i < ips.length; i++) records[i] = { type, data: addressBytes(ips[i]) };
  return records;
}

function ptrAnswers(
  settings: InternalAnswerSettings,
  name: string,
  networks: readonly string[],
): AnswerRecord[] | undefined {
  const ip = reverseNameToIp(name);
  if (!ip) return undefined;
  const records: AnswerRecord[] = [];
  for (const alias of settings.index.aliasesOfIp(networks, ip)) {
    // the watcher leaves such aliases out; the index may still be seeded with them directly
    if (nameEncodingProblem(alias) === undefined) {
      records.push({ type: QTYPE.PTR, data: encodeName(alias) });
    }
  }
  return records.length > 0 ? records : undefined;
}

/**
 * The first handler of the chain: answers from the index when the source is a kubedock pod and
 * the name is answerable in its networks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../../index/network_index.ts";
 * import type { DnsRequest } from "./handler.ts";
 * import { internalAnswerHandler } from "./internal_answer.ts";
 * const handler = internalAnswerHandler({ index: new NetworkIndex(), ttl: 10, searchSuffix: "ci.svc.cluster.local" });
 * // a source that is no kubedock pod goes on to next
 * assert.equal(handler({ source: "127.0.0.9" } as DnsRequest, () => null), null);
 * ```
 */
export function internalAnswerHandler(settings: InternalAnswerSettings): DnsHandler {
  return (request, next) => {
    const networks = settings.index.networksOf(request.source);
    if (networks.length === 0) return next(request);
    const answer = answerFromIndex(settings, request, networks);
    if (!answer) return next(request);
    request.path = "internal";
    return answer;
  };
}
