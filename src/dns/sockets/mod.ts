/**
 * The sockets that serve the chain: the UDP loop, the TCP server with its bounds, the dispatch of
 * one message (parse, resolve, observe), the count of replies under way for the drain, and the
 * replies the permission set refused. The top layer below the server itself.
 *
 * @module
 */

export { DeniedReplies, type DeniedReplyListener } from "./denied_replies.ts";
export { dispatch, type DispatchStats, type QueryObserver } from "./dispatch.ts";
export { PendingReplies } from "./pending_replies.ts";
export { serveTcp, type TcpLimits, type TcpServer, type TcpStats } from "./tcp_server.ts";
export { serveUdp } from "./udp_server.ts";
