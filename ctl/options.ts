// Commander argument parsers for option values: each turns the text typed
// into the number the request needs, or throws InvalidArgumentError, which
// commander reports as a usage error naming the option (exit code 2).
import { InvalidArgumentError } from "commander";
import { parseDuration } from "../common/duration.js";
import { parseByteQuantity } from "../common/quantity.js";

/** DURATION options (10s, 500ms, 2m): milliseconds. */
export function durationOption(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Non-negative whole numbers (byte offsets). */
export function byteOffsetOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("expected a byte offset (a whole number, 0 or more)");
  return n;
}

/** CPU cores: a decimal number above 0. */
export function cpuOption(value: string): number {
  const cores = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(cores > 0)) throw new InvalidArgumentError("expected a number of cores above 0, e.g. 0.5 or 2");
  return cores;
}

/** A count or a byte quantity (256Mi, 1G) above 0: 0 would mean "no limit" on the wire. */
export function quantityOption(value: string): number {
  try {
    const n = parseByteQuantity(value);
    if (n === 0) throw new Error("must be above 0");
    return n;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
