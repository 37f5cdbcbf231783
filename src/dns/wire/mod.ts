/**
 * The DNS wire format: reading queries, building replies, record data, name rules, TCP framing
 * and the byte slab replies are cut from. The bottom layer: it imports nothing of the server.
 *
 * @module
 */

export { allocateBytes, copyBytes } from "./byte_slab.ts";
export {
  CLASS_IN,
  FLAG,
  headerOnlyReply,
  QTYPE,
  RCODE,
  readU16,
  responseSummary,
  sameQuestion,
  setId,
  type Transport,
} from "./message.ts";
export { skipName, walkRecords } from "./records.ts";
export {
  bareHoldable,
  heldAlias,
  isInternal,
  MAX_LABEL_LENGTH,
  MAX_NAME_LENGTH,
  nameEncodingProblem,
  type NameRules,
  perNamespaceSuffix,
  searchSuffixFor,
  withoutSearchSuffix,
} from "./names.ts";
export { type Parsed, parseQuery, type Query } from "./query.ts";
export { addressBytes, encodeName, NameEncodingError, reverseNameToIp } from "./rdata.ts";
export {
  type AnswerRecord,
  buildResponse,
  CLASSIC_UDP_SIZE,
  MAX_EDNS_UDP_SIZE,
  responseLimit,
  serverFailure,
} from "./reply.ts";
export { type ByteReader, type ByteWriter, frame, FrameReader, writeAll } from "./tcp_framing.ts";
