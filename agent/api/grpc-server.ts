// The gRPC server, with what grpc-js does not expose: the raw connections
// (connection-guard.ts bounds them before any RPC) and failed TLS handshakes,
// which never reach a handler. grpc-js makes one http2 server per bound
// address in its (internal) createHttp2Server; we wrap that to watch each.
import * as grpc from "@grpc/grpc-js";
import type { Http2SecureServer } from "node:http2";
import type { Logger } from "pino";
import type { ApiEvents } from "./events.js";
import { ConnectionGuard, type ConnectionLimits } from "./connection-guard.js";
import { REQUEST_LIMITS } from "../../common/request-limits.js";

type Http2Factory = (credentials: grpc.ServerCredentials) => Http2SecureServer;

export interface GrpcServerOptions {
  metrics: ApiEvents;
  logger: Logger;
  connections: ConnectionLimits;
}

/**
 * Streams one session may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS;
 * grpc-js's default is unlimited). Each may buffer a request of up to the 4 MiB
 * message limit, so this bounds what one verified client can make the agent hold;
 * a client past it waits for a stream to end (its HTTP/2 library queues the call).
 */
export const MAX_STREAMS_PER_SESSION = 256;

export function createGrpcServer(options: GrpcServerOptions): grpc.Server {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": REQUEST_LIMITS.maxMessageBytes,
    "grpc.max_concurrent_streams": MAX_STREAMS_PER_SESSION,
  });
  const internals = server as unknown as { createHttp2Server?: Http2Factory };
  const create = internals.createHttp2Server?.bind(server);
  // Without the hook the connection limits would silently not apply: refuse to start instead.
  if (!create) throw new Error("@grpc/grpc-js has no Server.createHttp2Server any more: the connection limits cannot be applied");
  const guard = new ConnectionGuard(options.connections, options.metrics, options.logger);
  internals.createHttp2Server = (credentials) => {
    const http2Server = create(credentials);
    guard.watch(http2Server);
    return http2Server;
  };
  return server;
}
