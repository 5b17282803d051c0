// Compiles the exec shim (agent/shim/jobworker-exec.c) to dist/bin/jobworker-exec.
// A C compiler is a build-time requirement only (see README); the agent needs the binary.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const cc = process.env.CC || "cc";
mkdirSync("dist/bin", { recursive: true });
execFileSync(cc, ["-O2", "-Wall", "-Wextra", "-Werror", "-o", "dist/bin/jobworker-exec", "agent/shim/jobworker-exec.c"], {
  stdio: "inherit",
});
