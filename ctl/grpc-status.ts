// The gRPC status codes, numbered as the gRPC spec and @grpc/grpc-js's
// `status` enum number them. jobctl keeps its own copy so that naming a status
// or mapping it to an exit code (errors.ts, exit-codes.ts) does not load
// grpc-js: verbs that never connect (version --client, completion, config)
// then start without it, and the ones that connect load it only when they do
// (commands/shared.ts). test/ctl/exit-codes.test.ts checks this table against
// grpc-js's.
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A status code as it comes off the wire: one of the above, or a number this table does not know. */
export type StatusCode = number;

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Status).map(([name, code]) => [code, name]));

/** "UNAVAILABLE" for 14; undefined for a code the spec does not define. */
export function statusName(code: StatusCode): string | undefined {
  return NAMES.get(code);
}
