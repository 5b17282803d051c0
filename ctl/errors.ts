// How jobctl fails: every error becomes one line on stderr ("error: ...") and
// an exit code (exit-codes.ts), never a stack trace.
import type * as grpc from "@grpc/grpc-js";
import { CommanderError } from "commander";
import { ExitCode, exitCodeForStatus } from "./exit-codes.js";
import { Status, statusName, type StatusCode } from "./grpc-status.js";

/** Bad flags, arguments or job id: the user can fix it by typing something else. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A problem in the config file, reported as `config FILE: FIELD: problem` so it can be found and fixed. */
export class ConfigError extends UsageError {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(`config ${file}: ${field === undefined ? "" : `${field}: `}${problem}`);
  }
}

/** An RPC the agent (or the connection to it) ended with a non-OK status. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  constructor(
    readonly code: StatusCode,
    readonly details: string,
    readonly server: string,
  ) {
    // Connection problems rarely say where jobctl tried to connect; add it.
    const where = code === Status.UNAVAILABLE || code === Status.DEADLINE_EXCEEDED ? ` (agent at ${server})` : "";
    super(`${statusName(code) ?? `status ${code}`}: ${tidyDetails(details)}${where}`);
  }
}

/** grpc-js ends connection errors with an empty "Resolution note:"; drop it. */
function tidyDetails(details: string): string {
  return details.replace(/\.?\s*Resolution note:\s*$/, "");
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === "number" && "details" in err;
}

/** Wraps a grpc-js ServiceError with the server it came from; passes anything else through. */
export function toRpcError(err: unknown, server: string): unknown {
  return isServiceError(err) ? new RpcError(err.code, err.details, server) : err;
}

export interface Failure {
  /** The line to print, or undefined when it was printed already (commander's usage errors). */
  message?: string;
  exitCode: ExitCode;
}

export function describeFailure(err: unknown): Failure {
  if (err instanceof CommanderError) {
    // Commander printed its own message (or the help); --help and --version are successes.
    return { exitCode: err.exitCode === 0 ? ExitCode.Success : ExitCode.Usage };
  }
  if (err instanceof UsageError) return { message: err.message, exitCode: ExitCode.Usage };
  if (err instanceof RpcError) return { message: err.message, exitCode: exitCodeForStatus(err.code) };
  if (isServiceError(err)) return { message: `${statusName(err.code)}: ${err.details}`, exitCode: exitCodeForStatus(err.code) };
  return { message: err instanceof Error ? err.message : String(err), exitCode: ExitCode.Failure };
}

/** Collapses a message onto one line, so each failure is exactly one line of stderr. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, " ");
}

/** Prints the failure (if not printed already) and returns the exit code to use. */
export function reportFailure(err: unknown, write: (line: string) => void = (line) => process.stderr.write(line)): ExitCode {
  const failure = describeFailure(err);
  if (failure.message !== undefined) write(`error: ${oneLine(failure.message)}\n`);
  return failure.exitCode;
}
