/**
 * Helpers more than one part uses: IP addresses, abortable sleep, back-off and the retry loop, base64 text,
 * what the net permission reaches, the stop signals and the lameduck.
 * What this folder offers the rest of the program; the modules beside it hold the details.
 *
 * @module
 */

export { decodeBase64, encodeBase64 } from "./base64.ts";
export { backoffDelay, retry, type RetryOptions, sleep } from "./backoff.ts";
export { canonicalIp, formatIpv6, ipv6Groups } from "./ip.ts";
export { netUnrestricted, podIpOutsideSet, WIDEN_HINT } from "./net_permission.ts";
export { StopSignals } from "./stop_signals.ts";
