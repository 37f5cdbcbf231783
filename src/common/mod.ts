/**
 * Helpers more than one part uses: IP addresses, abortable sleep, back-off and the retry loop, base64 text.
 * What this folder offers the rest of the program; the modules beside it hold the details.
 *
 * @module
 */

export { decodeBase64, encodeBase64 } from "./base64.ts";
export { backoffDelay, retry, type RetryOptions, sleep } from "./backoff.ts";
export { canonicalIp, formatIpv6, ipv6Groups } from "./ip.ts";
