// The one place where errors become gRPC statuses.
import * as grpc from "@grpc/grpc-js";
import { JobworkerError } from "../errors.js";

export interface MappedStatus {
  code: grpc.status;
  details: string;
  /** Set for unexpected errors, which are logged in full but answered generically. */
  internal?: unknown;
}

export function toStatus(err: unknown): MappedStatus {
  if (err instanceof JobworkerError) {
    const code = grpc.status[err.code as keyof typeof grpc.status] as grpc.status | undefined;
    if (code !== undefined) return { code, details: err.message };
  }
  return { code: grpc.status.INTERNAL, details: "internal error (see the agent's log)", internal: err };
}
