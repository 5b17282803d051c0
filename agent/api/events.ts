// The events the gRPC layer emits (calls, output streams, connections, TLS),
// declared here so that agent/api depends on nobody who listens:
// agent/metrics counts them.

export interface ApiEvents {
  /** Bytes of job output sent to a GetOutput client (hot path: per message). */
  outputStreamed(bytes: number): void;
  streamOpened(): void;
  streamClosed(): void;
  /** One RPC finished with a status code name (e.g. "OK", "NOT_FOUND"). */
  rpcFinished(method: string, code: string, seconds: number): void;
  /** A TLS handshake with a client failed (protocol version, cipher, certificate). */
  tlsHandshakeFailed(reason: string): void;
  /** A connection was closed as soon as it was accepted, over a cap. */
  connectionRefused(reason: ConnectionRefusal): void;
  /** An accepted connection was closed by the agent's connection policy. */
  connectionClosed(reason: ConnectionCut): void;
  /** Connections open now, by whether they have authenticated (a verified client certificate). */
  connectionsOpen(unauthenticated: number, authenticated: number): void;
}

export type ConnectionRefusal = "max_connections" | "max_unauthenticated_per_address";
/** evicted: the oldest unauthenticated connection, making room for a new one. */
export type ConnectionCut = "handshake_timeout" | "evicted" | "idle";
