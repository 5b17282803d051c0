// The capture anchor (as bench/capture.ts's "cat"): SOURCE | cat > FILE in sh.
import { rm, stat } from "node:fs/promises";
import { runTimed } from "./proc.js";

/** Runs `sh -c '"$@" | cat > FILE'` with SOURCE as "$@"; resolves with ms, after checking FILE holds `size` bytes. */
export async function catToFile(source: string[], file: string, size: number): Promise<number> {
  const ms = await runTimed("sh", ["-c", 'out=$1; shift; "$@" | cat > "$out"', "sh", file, ...source]);
  const onDisk = (await stat(file)).size;
  if (onDisk !== size) throw new Error(`cat anchor: ${file} holds ${onDisk} bytes, expected ${size}`);
  await rm(file);
  return ms;
}
