// Job ids as the user types them: the 36-character UUID text. Checking the
// shape here turns a typo into a usage error before any connection is made.
import { UsageError } from "./errors.js";

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id in lower case; UsageError if it is not UUID-shaped. */
export function parseJobId(text: string): string {
  if (!UUID_TEXT.test(text)) {
    throw new UsageError(`malformed job id "${text}": expected a UUID like 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d`);
  }
  return text.toLowerCase();
}

/** The wire form: the agent accepts the text form as UTF-8 bytes (or 16 raw bytes). */
export function jobIdToWire(id: string): Buffer {
  return Buffer.from(id);
}

/** The text form of a response's id: `id` when the agent sent it, else formatted from the 16 raw bytes. */
export function jobIdFromResponse(response: { id?: string; jobID?: Buffer }): string {
  if (response.id) return response.id;
  const hex = Buffer.from(response.jobID ?? []).toString("hex");
  if (hex.length !== 32) return hex;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The job id from the positional argument or seed 000's `-j/--job` option:
 * exactly one of them (or both, if equal).
 */
export function pickJobId(positional: string | undefined, option: string | undefined): string {
  if (positional !== undefined && option !== undefined && positional !== option) {
    throw new UsageError(`two different job ids given ("${positional}" and -j "${option}")`);
  }
  const text = positional ?? option;
  if (text === undefined) throw new UsageError("a job id is required (as an argument or with -j ID)");
  return parseJobId(text);
}
