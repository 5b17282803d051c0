// The capture anchor (as bench/capture.ts's "cat"): SOURCE | cat > FILE in sh.
import { rm, stat } from "node:fs/promises";
import { runTimed } from "./proc.js";

/** sh's arguments for SOURCE | cat > FILE (bench/capture.ts runs the same). */
export const catToFileArgs = (source: string[], file: string): string[] => ["-c", 'out=$1; shift; "$@" | cat > "$out"', "sh", file, ...source];

/** Runs SOURCE | cat > FILE; resolves with ms, after checking FILE holds `size` bytes (and removing it). */
export async function catToFile(source: string[], file: string, size: number): Promise<number> {
  const ms = await runTimed("sh", catToFileArgs(source, file));
  const onDisk = (await stat(file)).size;
  if (onDisk !== size) throw new Error(`cat anchor: ${file} holds ${onDisk} bytes, expected ${size}`);
  await rm(file);
  return ms;
}
