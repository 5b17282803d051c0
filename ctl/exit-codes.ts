// jobctl's exit codes, so scripts can tell "try again later" from "you typed
// it wrong" from "you may not". gRPC statuses become exit codes here and
// nowhere else.
import { status } from "@grpc/grpc-js";

/**
 * jobctl's exit codes:
 *
 * | code | meaning                                    | from the agent (gRPC status)                    |
 * |------|--------------------------------------------|-------------------------------------------------|
 * | 0    | success                                    | OK                                              |
 * | 1    | server or connection error                 | INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED, other |
 * | 2    | usage error: flags, arguments, config file | INVALID_ARGUMENT                                |
 * |      | or malformed job id                        |                                                 |
 * | 3    | authentication or permission failure       | UNAUTHENTICATED, PERMISSION_DENIED              |
 * | 4    | not found                                  | NOT_FOUND                                       |
 * | 5    | refused by the agent's limits or state     | RESOURCE_EXHAUSTED, FAILED_PRECONDITION         |
 */
export const ExitCode = {
  Success: 0,
  Failure: 1,
  Usage: 2,
  Denied: 3,
  NotFound: 4,
  Refused: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The one mapping from a gRPC status to an exit code. */
export function exitCodeForStatus(code: status): ExitCode {
  switch (code) {
    case status.OK:
      return ExitCode.Success;
    case status.INVALID_ARGUMENT:
      return ExitCode.Usage;
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return ExitCode.Denied;
    case status.NOT_FOUND:
      return ExitCode.NotFound;
    case status.RESOURCE_EXHAUSTED:
    case status.FAILED_PRECONDITION:
      return ExitCode.Refused;
    default:
      return ExitCode.Failure;
  }
}
