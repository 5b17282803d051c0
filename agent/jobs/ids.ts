// Job ids are UUID v4. On the wire a request may carry the 16 raw bytes or the
// 36-character text form (as UTF-8 bytes); responses always carry raw bytes.
import { randomUUID } from "node:crypto";
import { InvalidArgumentError } from "../errors.js";

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Any UUID on the wire: an id the agent never made is unknown (NOT_FOUND), not malformed. */
const ANY_UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newJobId(): string {
  return randomUUID();
}

export function isJobId(text: string): boolean {
  return UUID_TEXT.test(text);
}

/** Text form of a wire id (any UUID: 16 raw bytes, or 36 characters of text); InvalidArgumentError for anything else. */
export function parseWireJobId(raw: Uint8Array | undefined): string {
  if (!raw || raw.length === 0) throw new InvalidArgumentError("jobID is required");
  if (raw.length === 16) return bytesToUuid(raw);
  if (raw.length === 36) {
    const id = Buffer.from(raw).toString("latin1").toLowerCase();
    if (ANY_UUID_TEXT.test(id)) return id;
  }
  throw new InvalidArgumentError(`jobID must be a UUID as 16 raw bytes or 36 characters of text (got ${raw.length} bytes)`);
}

export function jobIdToBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ""), "hex");
}

function bytesToUuid(raw: Uint8Array): string {
  const hex = Buffer.from(raw).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
