// Errors as classes that mirror gRPC status codes (containerd's errdefs idea).
// The job library throws these; the gRPC adapter maps them to a status in one
// place (api/status.ts), so the library never imports gRPC. There is no
// InternalError: anything that is not one of these is INTERNAL, answered
// generically and logged in full.

/**
 * gRPC's status names, exactly those of grpc-js's `status` enum (api/status.ts
 * checks that at compile time), so that an error's code cannot be a name
 * gRPC does not have: a typo fails to compile instead of answering INTERNAL.
 */
export type StatusName =
  | "OK" | "CANCELLED" | "UNKNOWN" | "INVALID_ARGUMENT" | "DEADLINE_EXCEEDED" | "NOT_FOUND" | "ALREADY_EXISTS"
  | "PERMISSION_DENIED" | "RESOURCE_EXHAUSTED" | "FAILED_PRECONDITION" | "ABORTED" | "OUT_OF_RANGE"
  | "UNIMPLEMENTED" | "INTERNAL" | "UNAVAILABLE" | "DATA_LOSS" | "UNAUTHENTICATED";

export abstract class JobworkerError extends Error {
  /** gRPC status name this error maps to, e.g. "NOT_FOUND". */
  abstract readonly code: StatusName;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends JobworkerError {
  readonly code = "INVALID_ARGUMENT";
}

export class NotFoundError extends JobworkerError {
  readonly code = "NOT_FOUND";
}

export class UnauthenticatedError extends JobworkerError {
  readonly code = "UNAUTHENTICATED";
}

export class PermissionDeniedError extends JobworkerError {
  readonly code = "PERMISSION_DENIED";
}

/** A configured limit (e.g. concurrent jobs) is reached; retrying later may work. */
export class ResourceExhaustedError extends JobworkerError {
  readonly code = "RESOURCE_EXHAUSTED";
  /** When known, how long until a retry can succeed (answered as `retry-after` trailing metadata, in seconds). */
  readonly retryAfterMs?: number;
  constructor(message: string, options: { retryAfterMs?: number } = {}) {
    super(message);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The name is taken (a job spec of another owner). */
export class AlreadyExistsError extends JobworkerError {
  readonly code = "ALREADY_EXISTS";
}

/** The host cannot do what was asked (e.g. limits without a usable cgroup v2). */
export class FailedPreconditionError extends JobworkerError {
  readonly code = "FAILED_PRECONDITION";
}

/** The agent is shutting down and takes no new work. */
export class UnavailableError extends JobworkerError {
  readonly code = "UNAVAILABLE";
}
