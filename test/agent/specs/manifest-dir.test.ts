// agent/specs/manifest-dir.ts on a real directory with real inotify: what a
// scan hands the reconciler, and when scans happen.
import { expect } from "chai";
import { appendFileSync, chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigFileError } from "../../../agent/config/load.js";
import { ManifestDir } from "../../../agent/specs/manifest-dir.js";
import type { ManifestScan } from "../../../agent/specs/reconciler.js";
import { tempDir } from "../../helpers/tmp.js";
import { eventually } from "../../helpers/wait.js";

const SPEC = (name: string) => `apiVersion: jobworker/v1\nkind: Job\nmetadata: {name: ${name}}\nspec:\n  command: /bin/sleep\n  args: ["1000"]\n`;
/** Long enough that only the watch can be what scanned. */
const NO_RELIST_MS = 3_600_000;

describe("specs/manifest-dir", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let manifests: ManifestDir | undefined;
  const scans: ManifestScan[] = [];

  beforeEach(() => {
    dir = tempDir();
    chmodSync(dir.path, 0o755);
    scans.length = 0;
  });
  afterEach(async () => {
    await manifests?.close();
    dir.cleanup();
  });

  async function watching(): Promise<ManifestDir> {
    manifests = new ManifestDir(dir.path, async (scan) => void scans.push(scan), undefined, NO_RELIST_MS);
    await manifests.start();
    return manifests;
  }

  const lastScanOf = (path: string) => scans.at(-1)?.get(path);

  it("rejects a file that defines nothing (as one saved in place is, for a moment), so what it defined keeps running", async () => {
    const path = join(dir.path, "web.yaml");
    writeFileSync(path, SPEC("web"));
    await watching();
    expect((lastScanOf(path) as { name: string }[]).map((s) => s.name)).to.deep.equal(["web"]);
    for (const text of ["", "---\n", "# nothing here yet\n"]) {
      writeFileSync(path, text);
      const result = await eventually(`the scan after writing ${JSON.stringify(text)}`, () => {
        const found = lastScanOf(path);
        return found instanceof ConfigFileError && found;
      });
      expect(result.problems).to.deep.equal(["no job spec in the file (taken for a file being written): to stop what it defined, remove the file"]);
      writeFileSync(path, SPEC("web"));
      await eventually("the good version scanned again", () => Array.isArray(lastScanOf(path)));
    }
  });

  it("scans a new manifest while another file in the directory is written without pause (the settle delay has a cap)", async () => {
    await watching();
    const noisy = join(dir.path, "noise.log");
    const appending = setInterval(() => appendFileSync(noisy, "x\n"), 20);
    try {
      const before = scans.length;
      writeFileSync(join(dir.path, "web.yaml"), SPEC("web"));
      await eventually("web.yaml scanned", () => scans.slice(before).some((scan) => Array.isArray(scan.get(join(dir.path, "web.yaml")))));
    } finally {
      clearInterval(appending);
    }
  });
});
