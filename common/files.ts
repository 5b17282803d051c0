// Writing secrets safely (certs' private keys, jobctl's config with its login
// tokens): a private file must never exist on disk with a wider mode, even
// briefly, and a crash must never leave a half-written file under the final
// name (the agent or jobctl would fail to parse it at next start).
import { randomBytes } from "node:crypto";
import { link, mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export const PRIVATE_MODE = 0o600;
export const PUBLIC_MODE = 0o644;
/** Directories holding private keys. */
export const PRIVATE_DIR_MODE = 0o700;

export interface WriteOptions {
  mode: number;
  /** Fail with EEXIST instead of replacing an existing file (checked atomically). */
  exclusive?: boolean;
}

/**
 * Writes `data` to a temporary file created with `mode` (subject to umask),
 * then moves it into place: rename when replacing is fine, link+unlink when it
 * is not (link fails atomically if the target exists).
 */
export async function writeFileAtomic(path: string, data: string, options: WriteOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  await writeFile(tmp, data, { mode: options.mode, flag: "wx" });
  try {
    if (options.exclusive) await link(tmp, path);
    else await rename(tmp, path);
  } finally {
    // The linked copy's name, or a temporary left by a failed rename (ENOENT after a successful one).
    await unlink(tmp).catch(() => {});
  }
}
