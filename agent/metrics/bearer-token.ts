// The bearer token scrapers must send to /metrics (metrics.bearerTokenFile;
// Prometheus: authorization.credentials_file). Only its SHA-256 digest is kept:
// comparing two digests of equal length in constant time says nothing about
// how much of a guess was right, whatever the token's length.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";

export type TokenDigest = Buffer;

/**
 * Reads the token file, refusing one that a job could read or anyone but the
 * agent (or root) could change: a token every local process can read
 * protects nothing. Group read is allowed so that a Prometheus on the same
 * host can share the file through its group (jobs get groups of their own).
 * Surrounding whitespace is dropped, as Prometheus drops it from credentials_file.
 */
export async function readBearerToken(path: string, agentUid = process.getuid?.()): Promise<TokenDigest> {
  const info = await stat(path);
  if (info.mode & 0o026) {
    throw new Error(`metrics bearer token file ${path} is mode ${(info.mode & 0o777).toString(8)}: it must not be world-readable nor group- or world-writable (chmod 600 or 640)`);
  }
  if (info.uid !== 0 && info.uid !== agentUid) {
    throw new Error(`metrics bearer token file ${path} is owned by uid ${info.uid}: it must belong to root or to the agent's user`);
  }
  const token = (await readFile(path, "utf8")).trim();
  if (token === "") throw new Error(`metrics bearer token file ${path} is empty`);
  return digest(token);
}

/** Whether an Authorization header carries the token ("Bearer <token>", the scheme in any case). */
export function bearerMatches(header: string | undefined, expected: TokenDigest): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return match !== null && timingSafeEqual(digest(match[1]), expected);
}

function digest(token: string): TokenDigest {
  return createHash("sha256").update(token, "utf8").digest();
}
