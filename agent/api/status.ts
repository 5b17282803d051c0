// The one place where errors become gRPC statuses.
import * as grpc from "@grpc/grpc-js";
import { JobworkerError, ResourceExhaustedError, type StatusName } from "../errors.js";

/** True only when A and B are the same set of names: neither has one the other lacks. */
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// Fails to compile when StatusName (agent/errors.ts) and grpc-js's status names
// differ (a grpc-js upgrade that adds one, a name misspelt there), so that the
// code of every error has its status below.
true satisfies SameNames<StatusName, keyof typeof grpc.status>;

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
    return { code: grpc.status[err.code], details: err.message, ...(err instanceof ResourceExhaustedError && retryAfter(err.retryAfterMs)) };
  }
  return { code: grpc.status.INTERNAL, details: "internal error (see the agent's log)", internal: err };
}

function retryAfter(ms: number | undefined): { metadata: grpc.Metadata } | undefined {
  if (ms === undefined) return undefined;
  const metadata = new grpc.Metadata();
  metadata.set("retry-after", String(Math.max(1, Math.ceil(ms / 1000))));
  return { metadata };
}
