// `jobctl start -- true` as a whole process (node dist/ctl/main.js with the test
// agent's jobctl config, until exit), against `ssh root@127.0.0.1 true` (OpenSSH,
// a fresh connection each time) and `node -e 0`; rounds rotate node, ssh, jobctl.
import { fileURLToPath } from "node:url";
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { runTimed } from "../lib/proc.js";
import { median } from "../lib/stats.js";

export const JOBCTL_MAIN = fileURLToPath(new URL("../../ctl/main.js", import.meta.url));

export const jobctlStart: Scenario = async (ctx) => {
  const n = ctx.samples(21, 3);
  const jobctl = [process.execPath, JOBCTL_MAIN, "--config", ctx.agent.agent.jobctlConfigPath, "start", "--", "true"];
  await runTimed(jobctl[0], jobctl.slice(1)); // warm-up (page cache)
  const jw: number[] = [];
  const ssh: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < n; i++) {
    node.push(await runTimed(process.execPath, ["-e", "0"]));
    ssh.push(await runTimed("ssh", [...ctx.sshd.args, "true"]));
    jw.push(await runTimed(jobctl[0], jobctl.slice(1)));
  }
  const common = { figure: "`jobctl start -- true`, whole process", jobworker: median(jw), unit: "ms", better: "lower" as const, rounds: n };
  return [
    figure({ ...common, anchorName: "`ssh root@127.0.0.1 true` (OpenSSH)", anchor: median(ssh), samples: { jobworker: jw, anchor: ssh } }),
    figure({ ...common, anchorName: "`node -e 0`", anchor: median(node), samples: { jobworker: jw, anchor: node } }),
  ];
};
