// Request validation: a request's command, arguments, grace period and offset
// checked against the request limits (common/request-limits.ts, README's
// "Limits"). Oversize input is INVALID_ARGUMENT; requests over the gRPC message
// limit are refused by grpc-js itself with RESOURCE_EXHAUSTED before they reach us.
import { InvalidArgumentError } from "../errors.js";
import { REQUEST_LIMITS } from "../../common/request-limits.js";

export function validateCommand(command: string, args: string[]): void {
  if (command === "") throw new InvalidArgumentError("commandName is empty");
  checkString("commandName", command, REQUEST_LIMITS.maxCommandBytes);
  if (args.length > REQUEST_LIMITS.maxArguments) {
    throw new InvalidArgumentError(`too many arguments: ${args.length} (limit ${REQUEST_LIMITS.maxArguments})`);
  }
  let total = Buffer.byteLength(command);
  args.forEach((arg, i) => {
    checkString(`arguments[${i}]`, arg, REQUEST_LIMITS.maxArgumentBytes);
    total += Buffer.byteLength(arg);
  });
  if (total > REQUEST_LIMITS.maxTotalArgvBytes) {
    throw new InvalidArgumentError(`command and arguments are ${total} bytes (limit ${REQUEST_LIMITS.maxTotalArgvBytes})`);
  }
}

/** A grace period from the wire (uint64 as decimal text), or undefined if unset. */
export function parseGracePeriod(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > REQUEST_LIMITS.maxGracePeriodMs) {
    throw new InvalidArgumentError(`gracePeriodMs ${value} is out of range (0..${REQUEST_LIMITS.maxGracePeriodMs})`);
  }
  return ms;
}

export function parseOffset(value: string): number {
  const offset = Number(value);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset ${value} is out of range`);
  return offset;
}

function checkString(field: string, value: string, maxBytes: number): void {
  const bytes = Buffer.byteLength(value);
  if (bytes > maxBytes) throw new InvalidArgumentError(`${field} is ${bytes} bytes (limit ${maxBytes})`);
  if (value.includes("\0")) throw new InvalidArgumentError(`${field} contains a NUL byte`);
}
