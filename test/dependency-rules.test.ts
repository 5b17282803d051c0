// .dependency-cruiser.cjs (npm run lint:deps, run by npm test) against tiny
// fixture trees: on the real tree it only ever says "no violations", so these
// show it still sees what it must refuse, type-only imports included.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers/tmp.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const DEPCRUISE = join(REPO, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const CONFIG = join(REPO, ".dependency-cruiser.cjs");

/** A layered tree that keeps every rule: jobs uses cgroups' type, cgroups uses nothing above it. */
const LAWFUL: Record<string, string> = {
  "tsconfig.json": JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", strict: true } }),
  "agent/errors.ts": "export class NotFoundError extends Error {}\n",
  "agent/cgroups/limits.ts": "export interface CgroupLimits { pids: number }\n",
  "agent/jobs/record.ts": 'import type { CgroupLimits } from "../cgroups/limits.js";\nexport interface JobRecord { limits: CgroupLimits }\n',
  "agent/jobs/manager.ts": 'import { NotFoundError } from "../errors.js";\nimport type { JobRecord } from "./record.js";\nexport const find = (r?: JobRecord) => r ?? new NotFoundError();\n',
};

function lintDeps(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = tempDir();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir.path, path)), { recursive: true });
    writeFileSync(join(dir.path, path), text);
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [DEPCRUISE, "--config", CONFIG, "--output-type", "err", "agent"], { cwd: dir.path }, (err, stdout, stderr) => {
      dir.cleanup();
      resolve({ code: err ? Number(err.code) : 0, output: stdout + stderr });
    });
  });
}

describe("the import rules (.dependency-cruiser.cjs)", () => {
  it("pass a tree whose imports point downward", async () => {
    const { code, output } = await lintDeps(LAWFUL);
    // Some modules, or the check saw nothing (no TypeScript parser) and proves nothing.
    expect(output).to.match(/no dependency violations found \(4 modules, 3 dependencies cruised\)/);
    expect(code).to.equal(0);
  });

  it("fail a type-only import of a higher package, naming the rule and both files", async () => {
    const { code, output } = await lintDeps({
      ...LAWFUL,
      "agent/cgroups/limits.ts": 'import type { JobRecord } from "../jobs/record.js";\nexport interface CgroupLimits { pids: number; job?: JobRecord }\n',
    });
    expect(output).to.include("agent-cgroups-imports-upward: agent/cgroups/limits.ts → agent/jobs/record.ts");
    expect(code).to.not.equal(0);
  });

  it("fail the wire's generated types used outside agent/api (proto/generated is seen, though not cruised)", async () => {
    const { code, output } = await lintDeps({
      ...LAWFUL,
      "proto/generated/workerservice/Job.ts": "export interface Job { id: string }\n",
      "agent/jobs/record.ts": 'import type { CgroupLimits } from "../cgroups/limits.js";\nimport type { Job } from "../../proto/generated/workerservice/Job.js";\nexport interface JobRecord { limits: CgroupLimits; wire?: Job }\n',
    });
    expect(output).to.include("wire-outside-agent-api: agent/jobs/record.ts → proto/generated/workerservice/Job.ts");
    expect(code).to.not.equal(0);
  });

  it("let agent/api use the wire's generated types", async () => {
    const { code, output } = await lintDeps({
      ...LAWFUL,
      "proto/generated/workerservice/Job.ts": "export interface Job { id: string }\n",
      "agent/api/wire.ts": 'import type { Job } from "../../proto/generated/workerservice/Job.js";\nimport type { JobRecord } from "../jobs/record.js";\nexport const toWire = (r: JobRecord): Job => ({ id: String(r.limits.pids) });\n',
    });
    expect(output).to.match(/no dependency violations found \(6 modules, 5 dependencies cruised\)/);
    expect(code).to.equal(0);
  });

  it("fail a cycle inside one package, type-only imports included", async () => {
    const { code, output } = await lintDeps({
      ...LAWFUL,
      "agent/jobs/record.ts": 'import type { find } from "./manager.js";\nexport interface JobRecord { pids: number; finder?: typeof find }\n',
    });
    expect(output).to.match(/no-circular: agent\/jobs\/(manager|record)\.ts/);
    expect(code).to.not.equal(0);
  });
});
