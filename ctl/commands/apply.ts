// jobctl apply -f FILE|DIR|-: create or update job specs on the agent, as
// kubectl apply does. Each file is one Apply (its documents all or nothing);
// a directory is every *.yaml, *.yml and *.json in it (not its subdirectories,
// nor dotfiles); - reads stdin. Prints one line per spec: spec/NAME created,
// configured, unchanged or started.
import type { Command } from "commander";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { withAgent } from "./shared.js";

const MANIFEST = /^[^.].*\.(ya?ml|json)$/;

export function registerApply(program: Command): void {
  program
    .command("apply")
    .description("create or update job specs (kind: Job) from files, a directory or stdin; the agent keeps them running")
    .requiredOption("-f, --filename <path...>", "a manifest file, a directory of them, or - for stdin (repeatable)")
    .addHelpText(
      "after",
      `
Examples:
  jobctl apply -f web.yaml
  jobctl apply -f jobs.d/                      # every *.yaml, *.yml, *.json in it
  jobctl apply -f web.yaml -f worker.yaml
  cat web.yaml | jobctl apply -f -

A manifest (several per file, "---" between them):
  apiVersion: jobworker/v1
  kind: Job
  metadata: {name: web}
  spec:
    command: /usr/bin/python3
    args: [-m, http.server, "8080"]
    restartPolicy: Always              # or OnFailure, Never
    limits: {memory: 256Mi, cpu: 0.5}

Applying the same spec again changes nothing while it runs, and runs it again
if it had ended for good. jobctl delete spec NAME stops it for good.`,
    )
    .action(async (options: { filename: string[] }, command: Command) => {
      const manifests = await readManifests(options.filename);
      await withAgent(command, async (api) => {
        for (const { source, text } of manifests) {
          const { results } = await api.apply(text, source);
          for (const result of results) process.stdout.write(`spec/${result.name} ${result.outcome}\n`);
        }
      });
    });
}

/** Each file's text, named for the agent's error messages; a directory's files in name order. */
async function readManifests(paths: string[]): Promise<{ source: string; text: string }[]> {
  const manifests: { source: string; text: string }[] = [];
  for (const path of paths) {
    if (path === "-") {
      manifests.push({ source: "<stdin>", text: await readStdin() });
      continue;
    }
    if ((await stat(path)).isDirectory()) {
      for (const name of (await readdir(path)).filter((n) => MANIFEST.test(n)).sort()) {
        const file = join(path, name);
        if ((await stat(file)).isFile()) manifests.push({ source: file, text: await readFile(file, "utf8") });
      }
    } else {
      manifests.push({ source: path, text: await readFile(path, "utf8") });
    }
  }
  return manifests;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
