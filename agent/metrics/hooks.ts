// The events the agent reports to its metrics. The job manager, the gRPC
// adapter and the server call these; agent/metrics/ implements them with
// prom-client. NO_METRICS does nothing, for library use and tests.
import type { JobRecord } from "../jobs/record.js";

export interface MetricsHooks {
  /** A job was created (before its command is known to execute). */
  jobStarted(record: JobRecord): void;
  /** A job reached a final state; record.reason says why. */
  jobFinished(record: JobRecord): void;
  /** Bytes of job output written to a spool (hot path: called per chunk, up to 64 KiB). */
  outputCaptured(bytes: number): void;
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
  /** A login was refused without checking its password: the user or the client is throttled, or the hashing queue is full. */
  loginThrottled(reason: "user" | "pair" | "client" | "queue" | "clientQueue"): void;
  /** A login's password was checked (one scrypt derivation). */
  loginPasswordChecked(): void;
  /** A job spec's run was started again by its restart policy. */
  specRestarted(spec: string): void;
}

export type ConnectionRefusal = "max_connections" | "max_unauthenticated_per_address";
/** evicted: the oldest unauthenticated connection, making room for a new one. */
export type ConnectionCut = "handshake_timeout" | "evicted" | "idle";

const nothing = () => {};

export const NO_METRICS: MetricsHooks = {
  jobStarted: nothing,
  jobFinished: nothing,
  outputCaptured: nothing,
  outputStreamed: nothing,
  streamOpened: nothing,
  streamClosed: nothing,
  rpcFinished: nothing,
  tlsHandshakeFailed: nothing,
  connectionRefused: nothing,
  connectionClosed: nothing,
  connectionsOpen: nothing,
  loginThrottled: nothing,
  loginPasswordChecked: nothing,
  specRestarted: nothing,
};
