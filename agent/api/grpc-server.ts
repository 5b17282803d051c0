// The gRPC server, with the one thing grpc-js does not expose: failed TLS
// handshakes (wrong protocol version, no shared cipher suite), which never
// reach a handler. grpc-js makes one http2 server per bound address in its
// (internal) createHttp2Server; we wrap that to listen for 'tlsClientError'.
import * as grpc from "@grpc/grpc-js";
import type { Server as NetServer } from "node:net";
import type { MetricsHooks } from "../metrics/hooks.js";
import { REQUEST_LIMITS } from "./limits.js";

type Http2Factory = (credentials: grpc.ServerCredentials) => NetServer;

export function createGrpcServer(metrics: MetricsHooks): grpc.Server {
  const server = new grpc.Server({ "grpc.max_receive_message_length": REQUEST_LIMITS.maxMessageBytes });
  const internals = server as unknown as { createHttp2Server?: Http2Factory };
  const create = internals.createHttp2Server?.bind(server);
  if (create) {
    internals.createHttp2Server = (credentials) => {
      const http2Server = create(credentials);
      http2Server.on("tlsClientError", (err: NodeJS.ErrnoException) => metrics.tlsHandshakeFailed(err.code ?? "unknown"));
      return http2Server;
    };
  }
  return server;
}
