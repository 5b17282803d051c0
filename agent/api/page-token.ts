// List's page token: a position in List's order (start time, then id), not a
// snapshot, so it stays valid whatever is started or removed between pages,
// and it costs the agent no state. It names only a job the caller was shown
// (the last of its previous page); each page applies the caller's scope again,
// so a token, forged or passed on, shows nobody anything beyond its own scope.
// Opaque to clients (base64url); anything that does not decode to exactly
// what encodeCursor makes is INVALID_ARGUMENT.
import { InvalidArgumentError } from "../errors.js";
import { isJobId } from "../jobs/ids.js";

export interface Cursor {
  /** ISO 8601 as records keep it (Date.toISOString()), so that it sorts as text. */
  startTime: string;
  id: string;
}

const VERSION = "v1";
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${VERSION} ${cursor.startTime} ${cursor.id}`).toString("base64url");
}

/** The cursor of a page token; undefined for "" (the first page). */
export function decodeCursor(token: string): Cursor | undefined {
  if (token === "") return undefined;
  const text = Buffer.from(token, "base64url").toString("utf8");
  const [version, startTime, id, ...rest] = text.split(" ");
  const wellFormed =
    Buffer.from(text).toString("base64url") === token && version === VERSION && rest.length === 0 &&
    ISO_TIME.test(startTime ?? "") && isJobId(id ?? "");
  if (!wellFormed) throw new InvalidArgumentError("pageToken is malformed: pass the nextPageToken of the previous List response unchanged");
  return { startTime, id };
}

/** List's order: start time, then id (ids are unique, so this is a total order). */
export function compareCursors(a: Cursor, b: Cursor): number {
  if (a.startTime !== b.startTime) return a.startTime < b.startTime ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
