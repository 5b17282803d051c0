// Replacing a small file so that a crash leaves the old content or the new,
// never a mix, and the new content is on disk once the promise resolves.
import { open, rename, rm } from "node:fs/promises";

/** Writes path.tmp, fsyncs it, renames it over path; a failure leaves the old file and no temporary. */
export async function writeFileDurably(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    const file = await open(tmp, "w", mode);
    try {
      await file.writeFile(data);
      await file.sync(); // the rename below must not publish a file whose data is not on disk yet
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
