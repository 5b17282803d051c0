// The Prometheus files shipped in deploy/prometheus/, read as they are and, for
// the tests that run them, copied to a temporary directory with only what must
// differ on a test machine rewritten (addresses, file paths, intervals).
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";

export const PROMETHEUS_DEPLOY_DIR = fileURLToPath(new URL("../../../../deploy/prometheus/", import.meta.url));
export const SHIPPED_CONFIGS = ["static.yml", "static-tls.yml", "kubernetes.yml"];
export const RULES_FILE = "jobagent-rules.yml";
export const RULES_TEST_FILE = "jobagent-rules.test.yml";

// Loosely typed: these are Prometheus' documents, checked by Prometheus itself.
export type PromDoc = any;

export function readShipped(name: string): PromDoc {
  return parse(readFileSync(join(PROMETHEUS_DEPLOY_DIR, name), "utf8"));
}

/** The shipped config `name`, changed by `edit`, written into `dir` beside a copy of the rules; returns its path. */
export function writeEdited(name: string, dir: string, edit: (doc: PromDoc) => void): string {
  const doc = readShipped(name);
  edit(doc);
  const path = join(dir, name);
  writeFileSync(path, stringify(doc));
  copyFileSync(join(PROMETHEUS_DEPLOY_DIR, RULES_FILE), join(dir, RULES_FILE));
  return path;
}

/** Scrape and rule evaluation every second, so a test sees results in seconds; the scrape job itself is untouched. */
export function fastGlobals(doc: PromDoc): void {
  doc.global = { ...doc.global, scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" };
}
