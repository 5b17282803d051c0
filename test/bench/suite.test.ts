// Smoke run of the benchmark suite (npm run bench -- --quick), so it cannot rot: every
// figure comes out as a finite positive number next to its anchor's. No speed or ratio
// is asserted: the machine may be loaded.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Figure } from "../../bench/lib/figure.js";

const RUN = fileURLToPath(new URL("../../bench/run.js", import.meta.url));

/** One line per row of issue 10's table: each must have produced its figure(s). */
const EXPECTED = [
  /^Start RPC round trip, warm connection, p50$/,
  /^Start RPC round trip, warm connection, p99$/,
  /^Start until RUNNING\/ended in QueryStatus, p50$/,
  /^starts per second, 16 concurrent callers$/,
  /^`jobctl start -- true`, whole process$/, // against ssh and against node -e 0
  /^one reader, GetOutput of /,
  /^`jobctl logs ID > \/dev\/null`/,
  /^capture: a job writing /,
  /^\d+ readers of one .* output, aggregate$/,
  /^\d+ readers of one .* output, agent peak RSS$/,
  /^stop \d+ running jobs, wall time$/,
  /^List with \d+ jobs, p50$/,
];

describe("bench suite (--quick smoke run)", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "jobworker-bench-smoke-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("produces every figure as a finite positive number with its anchor's", async () => {
    const json = join(dir, "result.json");
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [RUN, "--quick", "--json", json], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (code) => resolve({ code, stderr }));
    });
    expect(code, stderr).to.equal(0);
    const result = JSON.parse(readFileSync(json, "utf8")) as { quick: boolean; figures: Figure[] };
    expect(result.quick).to.equal(true);
    for (const f of result.figures) {
      for (const key of ["jobworker", "anchor", "ratio", "gap"] as const) {
        expect(Number.isFinite(f[key]) && f[key] > 0, `${f.figure} vs ${f.anchorName}: ${key} = ${f[key]}`).to.equal(true);
      }
      expect(f.anchorName, f.figure).to.be.a("string").that.is.not.empty;
      expect(f.unit, f.figure).to.be.a("string").that.is.not.empty;
      expect(f.rounds, f.figure).to.be.at.least(1);
    }
    for (const pattern of EXPECTED) expect(result.figures.some((f) => pattern.test(f.figure)), `no figure matching ${pattern}`).to.equal(true);
    expect(result.figures.filter((f) => f.figure.startsWith("`jobctl start")).map((f) => f.anchorName)).to.have.length(2);
  });
});
