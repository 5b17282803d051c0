import { existsSync, mkdtempSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = "jobworker-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Resolves once the file exists (inotify on its directory, no polling); at once if it does. */
export function appears(path: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => existsSync(path) && (watcher.close(), resolve());
    const watcher = watch(dirname(path), check);
    check();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
