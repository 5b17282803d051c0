// The one place where errors become gRPC statuses.
import * as grpc from "@grpc/grpc-js";
import { JobworkerError, ResourceExhaustedError } from "../errors.js";

export interface MappedStatus {
  code: grpc.status;
  details: string;
  /** Trailing metadata, e.g. `retry-after` (seconds, as HTTP's header) for a refusal that says when to retry. */
  metadata?: grpc.Metadata;
  /** Set for unexpected errors, which are logged in full but answered generically. */
  internal?: unknown;
}

export function toStatus(err: unknown): MappedStatus {
  if (err instanceof JobworkerError) {
    const code = grpc.status[err.code as keyof typeof grpc.status] as grpc.status | undefined;
    if (code !== undefined) return { code, details: err.message, ...(err instanceof ResourceExhaustedError && retryAfter(err.retryAfterMs)) };
  }
  return { code: grpc.status.INTERNAL, details: "internal error (see the agent's log)", internal: err };
}

function retryAfter(ms: number | undefined): { metadata: grpc.Metadata } | undefined {
  if (ms === undefined) return undefined;
  const metadata = new grpc.Metadata();
  metadata.set("retry-after", String(Math.max(1, Math.ceil(ms / 1000))));
  return { metadata };
}
