#!/usr/bin/env node
// jobctl's entry point (bin.jobctl). It runs jobctl.cjs, all of jobctl
// (cli.ts and everything it imports) bundled into one script, with the V8
// code cache made for it, both written by `npm run build`
// (scripts/bundle-jobctl.mjs). Without a bundle, or with one older than tsc's
// output (a plain `tsc` since the last build), it runs cli.ts's compiled
// modules as they are.
//
// Why: jobctl is a short-lived process that loads a lot of code for one call
// (commander, yaml, grpc-js, proto-loader, protobufjs). Node 20 has no
// module.enableCompileCache (Node 22.1+) and no code cache for ES modules, but
// vm.Script takes one for a script: compiled code is read instead of parsing
// and compiling the same JavaScript on every run. Measured on the 2-core dev
// machine: see scripts/bundle-jobctl.mjs.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

const bundle = fileURLToPath(new URL("./jobctl.cjs", import.meta.url));
const codeCache = `${bundle}.cache`;

function readIfThere(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

const bundled = statSync(bundle, { throwIfNoEntry: false });
const compiled = statSync(fileURLToPath(new URL("./cli.js", import.meta.url)));
const source = bundled && bundled.mtimeMs >= compiled.mtimeMs ? readIfThere(bundle) : undefined;
if (source === undefined) {
  await import("./cli.js");
} else {
  // V8 checks that the cache is for this V8 and these flags, and otherwise
  // compiles the source as usual (script.cachedDataRejected).
  const script = new Script(Module.wrap(source.toString("utf8")), { filename: bundle, cachedData: readIfThere(codeCache) });
  // Set by scripts/bundle-jobctl.mjs only: the cache holds what this run compiled.
  if (process.env.JOBCTL_WRITE_CODE_CACHE === "1") process.once("exit", () => writeFileSync(codeCache, script.createCachedData()));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}
