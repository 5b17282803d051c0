// RPCs on a session without a verified client certificate are answered
// UNAUTHENTICATED before grpc-js sees them. grpc-js would first read the
// whole request (up to the 4 MiB message limit, on any number of streams)
// and only then reach the handler that checks identity: four such sessions
// took a test agent from 93 MB to 2 GB of memory within their 10 s of grace.
// Here no byte of the request is read: a trailers-only answer, then
// RST_STREAM, so the client stops sending.
//
// The handshake lets callers without a certificate through (tls.ts) only so
// that they get this clear status instead of a bare TLS failure.
import { constants, type Http2SecureServer, type ServerHttp2Stream } from "node:http2";
import type { TLSSocket } from "node:tls";
import { NO_CERTIFICATE_MESSAGE } from "../auth/identity.js";
const UNAUTHENTICATED = 16; // grpc.status.UNAUTHENTICATED

/** Makes `server` answer streams of unverified sessions itself; `refused` is told of each. */
export function refuseUnauthenticatedStreams(server: Http2SecureServer, refused: () => void): void {
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  // grpc-js listens to the server's 'stream' event (server.js, http2Server.on('stream')): the one place to stop a stream before it does.
  server.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === "stream" && !isVerified(args[0] as ServerHttp2Stream)) {
      refuse(args[0] as ServerHttp2Stream);
      refused();
      return true;
    }
    return emit(event, ...args);
  }) as typeof server.emit;
}

function isVerified(stream: ServerHttp2Stream): boolean {
  return (stream.session?.socket as TLSSocket | undefined)?.authorized === true;
}

function refuse(stream: ServerHttp2Stream): void {
  try {
    stream.respond(
      { ":status": 200, "content-type": "application/grpc+proto", "grpc-status": String(UNAUTHENTICATED), "grpc-message": encodeURIComponent(NO_CERTIFICATE_MESSAGE) },
      { endStream: true },
    );
  } catch {
    // the stream is gone already
  }
  stream.close(constants.NGHTTP2_NO_ERROR);
}
