/**
 * Flags: parsing, their documentation, addresses, durations.
 * What this folder offers the rest of the program; the modules beside it hold the details.
 *
 * @module
 */

export {
  type Config,
  ConfigError,
  DEFAULT_CONFIG,
  FLAG_NAMES,
  ownUpstreamMessage,
  parseConfig,
} from "./config.ts";
export { FLAG_DOCS, flagsTable, helpText } from "./flag_docs.ts";
export { formatHostPort, type HostPort, parseHostPort, reaches } from "./host_port.ts";
export { nameservers } from "./resolv_conf.ts";
export { parseDuration } from "./duration.ts";
export { VERSION } from "./version.ts";
