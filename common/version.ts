// The jobworker version (jobctl's and jobagent's): package.json's, found from
// this module's location (dist/common/version.js -> the package root), so it
// is right wherever the package is installed and never drifts from what npm published.
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function packageVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return cached;
}
