// Seed 003's users: declared in the agent configuration with password hashes,
// or, in development mode, two generated users (admin and alice) whose
// passwords are printed once when they are created.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hashPassword, verifyAgainstNothing, verifyPassword } from "./passwords.js";

export interface UserEntry {
  name: string;
  role: string;
  passwordHash: string;
}

export class UserDirectory {
  private users = new Map<string, UserEntry>();

  constructor(users: UserEntry[]) {
    this.set(users);
  }

  /** Replaces the users (config reload); returns the names whose entry (password hash or role) changed or that were removed. */
  set(users: UserEntry[]): string[] {
    const before = this.users;
    this.users = new Map(users.map((u) => [u.name, u]));
    return [...before.values()].filter((old) => !this.isCurrent(old)).map((old) => old.name);
  }

  /** Whether `entry` is still the user's entry (same name, password hash and role). */
  isCurrent(entry: UserEntry): boolean {
    const now = this.users.get(entry.name);
    return now !== undefined && now.passwordHash === entry.passwordHash && now.role === entry.role;
  }

  get size(): number {
    return this.users.size;
  }

  get(name: string): UserEntry | undefined {
    return this.users.get(name);
  }

  /** The user if the password is right; undefined otherwise, in the same time whether or not the user exists. */
  async authenticate(name: string, password: string): Promise<UserEntry | undefined> {
    const user = this.users.get(name);
    if (!user) return verifyAgainstNothing(password).then(() => undefined);
    return (await verifyPassword(password, user.passwordHash)) ? user : undefined;
  }
}

export const DEV_USERS = [
  { name: "admin", role: "admin" },
  { name: "alice", role: "user" },
] as const;

/**
 * The development users, kept hashed in <stateDir>/auth/dev-users.json. On
 * first creation the clear passwords are returned (to be printed once) and
 * never stored.
 */
export async function ensureDevUsers(stateDir: string): Promise<{ users: UserEntry[]; created?: { name: string; password: string }[] }> {
  const path = join(stateDir, "auth", "dev-users.json");
  try {
    return { users: JSON.parse(await readFile(path, "utf8")) as UserEntry[] };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  // 96 bits each; hex never starts with "-", so the password is safe to type as a flag value.
  const created = DEV_USERS.map((u) => ({ ...u, password: randomBytes(12).toString("hex") }));
  const users = await Promise.all(created.map(async (u) => ({ name: u.name, role: u.role, passwordHash: await hashPassword(u.password) })));
  await mkdir(join(stateDir, "auth"), { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify(users, null, 1), { mode: 0o600, flag: "wx" });
  return { users, created: created.map(({ name, password }) => ({ name, password })) };
}

/** The token signing key: 32 random bytes, created (mode 0600) on first use. */
export async function loadOrCreateSigningKey(path: string): Promise<Uint8Array> {
  try {
    const key = await readFile(path);
    if (key.length < 32) throw new Error(`token signing key ${path} is shorter than 32 bytes`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = randomBytes(32);
  await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  await writeFile(path, key, { mode: 0o600, flag: "wx" });
  return key;
}
