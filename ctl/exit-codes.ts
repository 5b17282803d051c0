// jobctl's exit codes, so scripts can tell "try again later" from "you typed
// it wrong" from "you may not". gRPC statuses become exit codes here and
// nowhere else.
import { Status, type StatusCode } from "./grpc-status.js";

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
 * | 5    | refused by the agent's limits or state     | RESOURCE_EXHAUSTED, FAILED_PRECONDITION,        |
 * |      |                                            | ALREADY_EXISTS                                  |
 *
 * `jobctl run` ends with the job's own exit code, so its codes overlap these
 * (as docker run's do); the few it makes up are in RunExit below.
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

/**
 * What `jobctl run` exits with besides the job's own exit code. 126, 127 and
 * 128+N are the shell's conventions; 250 and 251 lie above every 128+signal
 * code (signals end at 64), so neither can be mistaken for a signal, and
 * OOM kills in particular are not reported as SIGKILL's 137.
 *
 * | code  | meaning                                                     |
 * |-------|-------------------------------------------------------------|
 * | N     | the job exited with N                                       |
 * | 126   | FAILED: the command could not be executed (not executable)  |
 * | 127   | FAILED: the command was not found                           |
 * | 128+N | the job was ended by signal N (SIGTERM 143, SIGKILL 137)    |
 * | 250   | the job was OOM-killed (its memory limit)                   |
 * | 251   | detached with Ctrl-C: the job is still running              |
 */
export const RunExit = {
  CannotExecute: 126,
  NotFound: 127,
  SignalBase: 128,
  OomKilled: 250,
  Detached: 251,
} as const;

/** Ctrl-C ends `logs -f` (and a password prompt) as it ends any command: killed by SIGINT, which the shell reports as 130. */
export const INTERRUPTED_BY_CTRL_C = 130;

/** The one mapping from a gRPC status to an exit code. */
export function exitCodeForStatus(code: StatusCode): ExitCode {
  switch (code) {
    case Status.OK:
      return ExitCode.Success;
    case Status.INVALID_ARGUMENT:
      return ExitCode.Usage;
    case Status.UNAUTHENTICATED:
    case Status.PERMISSION_DENIED:
      return ExitCode.Denied;
    case Status.NOT_FOUND:
      return ExitCode.NotFound;
    case Status.RESOURCE_EXHAUSTED:
    case Status.FAILED_PRECONDITION:
    case Status.ALREADY_EXISTS:
      return ExitCode.Refused;
    default:
      return ExitCode.Failure;
  }
}
