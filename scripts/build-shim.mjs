// Compiles the C helpers in agent/shim/ to dist/bin/: the per-job monitor and the state-directory lock.
// A C compiler is a build-time requirement only (see README); the agent needs the binaries.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const cc = process.env.CC || "cc";
mkdirSync("dist/bin", { recursive: true });
for (const name of ["jobworker-monitor", "jobworker-lock", "jobworker-pidwatch", "jobworker-launcher"]) {
  execFileSync(cc, ["-O2", "-Wall", "-Wextra", "-Werror", "-o", `dist/bin/${name}`, `agent/shim/${name}.c`], { stdio: "inherit" });
}
