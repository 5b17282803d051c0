// What jobctl's start-up time rests on (see scripts/bundle-jobctl.mjs and
// ctl/main.ts): dist/ctl/main.js runs the one-file bundle with a V8 code cache
// this Node accepts, and verbs that never connect do not load grpc-js.
import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { tempDir } from "../helpers/tmp.js";
import { runJobctl } from "../helpers/run-jobctl.js";

const BUNDLE = fileURLToPath(new URL("../../ctl/jobctl.cjs", import.meta.url));

describe("jobctl start-up", () => {
  let dir: { path: string; cleanup: () => void };
  let preload: string;
  before(() => {
    dir = tempDir("jobctl-startup-");
    // Reports on exit whether Node loaded http2, which grpc-js needs first thing.
    preload = join(dir.path, "report-http2.cjs");
    writeFileSync(preload, `process.on("exit", () => process.stderr.write("http2 loaded: " + process.moduleLoadList.includes("NativeModule http2") + "\\n"));\n`);
  });
  after(() => dir.cleanup());

  it("npm run build made the bundle and a code cache this Node accepts", () => {
    expect(existsSync(BUNDLE), BUNDLE).to.equal(true);
    const script = new Script(Module.wrap(readFileSync(BUNDLE, "utf8")), { filename: BUNDLE, cachedData: readFileSync(`${BUNDLE}.cache`) });
    expect(script.cachedDataRejected).to.equal(false);
  });

  /** jobctl with `preload` required first, HOME in the temp dir. */
  async function http2Loaded(args: string[]): Promise<boolean> {
    const run = await runJobctl(args, { env: { HOME: dir.path, JOBCTL_CONFIG: undefined, NODE_OPTIONS: `--require ${preload}` } });
    const report = /http2 loaded: (true|false)\n$/.exec(run.stderr);
    expect(report, run.stderr).to.not.equal(null);
    return report![1] === "true";
  }

  for (const args of [["version", "--client"], ["completion", "bash"], ["config", "get-contexts"], ["--help"]]) {
    it(`jobctl ${args.join(" ")} does not load grpc-js`, async () => {
      expect(await http2Loaded(args)).to.equal(false);
    });
  }

  it("a verb that connects does (so the check above can tell)", async () => {
    // A config whose CA is not a certificate: the client is loaded, then the TLS files are refused.
    const notPem = Buffer.from("not a certificate").toString("base64");
    const config = join(dir.path, "config.json");
    writeFileSync(
      config,
      JSON.stringify({
        clusters: [{ name: "c", cluster: { server: "127.0.0.1:1", "certificate-authority-data": notPem } }],
        users: [{ name: "u", user: { "client-certificate-data": notPem, "client-key-data": notPem } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
    expect(await http2Loaded(["--config", config, "start", "--", "true"])).to.equal(true);
  });
});
