// The bearer token scrapers must send to /metrics (metrics.bearerTokenFile;
// Prometheus: authorization.credentials_file). Only its SHA-256 digest is kept:
// comparing two digests of equal length in constant time says nothing about
// how much of a guess was right, whatever the token's length.
import { createHash, timingSafeEqual } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";

export type TokenDigest = Buffer;

/**
 * Reads the token file, refusing one that a job could read or anyone but the
 * agent (or root) could change: a token every local process can read
 * protects nothing. Group read is allowed so that a Prometheus on the same
 * host can share the file through its group (jobs get groups of their own).
 * Surrounding whitespace is dropped, as Prometheus drops it from credentials_file.
 */
export async function readBearerToken(path: string, agentUid = process.getuid?.()): Promise<TokenDigest> {
  // One open, then the checks and the read on that descriptor: no window between them, and
  // a FIFO (or other non-file) cannot stall start or a reload. A symlink is followed (a
  // Kubernetes secret volume is made of them) and the file it leads to is what is checked.
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`metrics bearer token file ${path}: ${err.message}`);
  });
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new Error(`metrics bearer token file ${path} is not a regular file`);
    if (info.mode & 0o026) {
      throw new Error(`metrics bearer token file ${path} is mode ${(info.mode & 0o777).toString(8)}: it must not be world-readable nor group- or world-writable (chmod 600 or 640)`);
    }
    if (info.uid !== 0 && info.uid !== agentUid) {
      throw new Error(`metrics bearer token file ${path} is owned by uid ${info.uid}: it must belong to root or to the agent's user`);
    }
    const token = (await file.readFile("utf8")).trim();
    if (token === "") throw new Error(`metrics bearer token file ${path} is empty`);
    // A header carries the token as one word: one with whitespace inside could never match.
    if (/\s/.test(token)) throw new Error(`metrics bearer token file ${path} holds whitespace inside the token: a scraper's header could never match it`);
    return digest(token);
  } finally {
    await file.close();
  }
}

/** Whether an Authorization header carries the token ("Bearer <token>", the scheme in any case). */
export function bearerMatches(header: string | undefined, expected: TokenDigest): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return match !== null && timingSafeEqual(digest(match[1]), expected);
}

function digest(token: string): TokenDigest {
  return createHash("sha256").update(token, "utf8").digest();
}
