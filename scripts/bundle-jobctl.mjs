// Bundles jobctl, ctl/cli.ts with everything it imports (commander, yaml,
// grpc-js, proto-loader, protobufjs), into one CommonJS script,
// dist/ctl/jobctl.cjs, and makes the V8 code cache that dist/ctl/main.js
// (bin.jobctl, ctl/main.ts) runs it with. The other dist/ctl/ modules stay
// tsc's, for the tests that import them.
//
// Why: jobctl is a short-lived process; loading ~250 files costs more than
// reading one, and reading compiled code costs less than compiling it.
// `jobctl start -- true` against the bench agent on the 2-core dev machine,
// 21 interleaved runs each, load ~5 (medians, CPU time / wall time):
//   tsc's modules, unbundled          699 / 987 ms
//   one ES module bundle, no cache    440 / 707 ms
//   this script bundle + code cache   377 / 603 ms   (node -e 0: 141 / 198 ms)
// Minifying did not help (a smaller file, but no faster). The lazy import of
// ctl/client.ts (commands/shared.ts) stays lazy in the bundle: a verb that
// does not connect still does not run grpc-js's code.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { stringify } from "yaml";

const BUNDLE = "dist/ctl/jobctl.cjs";

await build({
  entryPoints: ["ctl/cli.ts"],
  outfile: BUNDLE,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // The bundle sits where the modules it holds were (dist/ctl/), so paths
  // found from import.meta.url (../../package.json in common/version.ts) hold.
  banner: { js: 'const jobctlBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { "import.meta.url": "jobctlBundleUrl" },
  sourcemap: true,
  logLevel: "warning",
});

// The code cache holds what one run compiled, so make it with a run that gets
// as far as `jobctl start` can without an agent: a config whose CA is not a
// certificate loads everything up to the first byte on the wire (the
// program, the config's YAML, client.ts with grpc-js, proto-loader and
// protobufjs, the services of proto/load.ts), then fails with a config error.
const dir = mkdtempSync(join(tmpdir(), "jobctl-code-cache-"));
try {
  const notPem = Buffer.from("not a certificate").toString("base64");
  const config = join(dir, "config");
  // Block YAML, as the configs jobctl and the agent write are: a JSON config
  // would leave the yaml parser's block paths out of the cache.
  writeFileSync(
    config,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "127.0.0.1:1", "certificate-authority-data": notPem } }],
      users: [{ name: "u", user: { "client-certificate-data": notPem, "client-key-data": notPem } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  const run = spawnSync(process.execPath, ["dist/ctl/main.js", "--config", config, "start", "--", "true"], {
    env: { ...process.env, JOBCTL_WRITE_CODE_CACHE: "1" },
    encoding: "utf8",
  });
  // Anything else means the run stopped short of loading the client (or the
  // config format changed): fix this script rather than ship a thin cache.
  if (run.status !== 2 || !run.stderr.includes("not a PEM certificate")) {
    throw new Error(`priming jobctl's code cache: expected exit 2 and "not a PEM certificate", got ${run.status}: ${run.stderr}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
