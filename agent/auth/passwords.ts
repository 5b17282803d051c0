// Password hashes for seed 003's users: scrypt, through node:crypto (OpenSSL's
// maintained implementation; no password is ever stored or logged in clear).
// Format: scrypt$<N>$<r>$<p>$<salt, base64>$<hash, base64>
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** N=2^15, r=8, p=1: ~60 ms and 32 MiB per hash on these machines, OWASP's minimum or above. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, { ...options, maxmem: MAX_MEMORY }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export const PASSWORD_HASH_PATTERN = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** True if the password matches; false for a mismatch or an unusable hash. Constant time in the comparison. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = PASSWORD_HASH_PATTERN.exec(encoded);
  if (!m) return false;
  const expected = Buffer.from(m[5], "base64");
  const actual = await derive(password, Buffer.from(m[4], "base64"), { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }).catch(() => undefined);
  return actual !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Spends the same time as a real verification, for unknown users (no user enumeration by timing). */
let dummy: Promise<string> | undefined;
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummy ??= hashPassword("no such user");
  await verifyPassword(password, await dummy);
  return false;
}
