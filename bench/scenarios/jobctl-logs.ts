// `jobctl logs ID > /dev/null` of a finished job's SIZE of output, whole process,
// MB/s; against `ssh root@127.0.0.1 cat SPOOL > /dev/null` (OpenSSH) of the same file.
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { runTimed } from "../lib/proc.js";
import { human, mbps, median } from "../lib/stats.js";
import { JOBCTL_MAIN } from "./jobctl-start.js";

export const jobctlLogs: Scenario = async (ctx) => {
  const size = ctx.pick(2 ** 30, 4 * 2 ** 20);
  const rounds = ctx.rounds(5, 2);
  const job = await ctx.outputJob(size);
  const jw: number[] = [];
  const anchor: number[] = [];
  for (let r = 0; r < rounds; r++) {
    anchor.push(mbps(size, await runTimed("ssh", [...ctx.sshd.args, "cat", job.spool])));
    jw.push(mbps(size, await runTimed(process.execPath, [JOBCTL_MAIN, "--config", ctx.agent.agent.jobctlConfigPath, "logs", job.id])));
    ctx.log(`  round ${r + 1}/${rounds}: ssh cat ${anchor.at(-1)!.toFixed(0)} MB/s, jobctl logs ${jw.at(-1)!.toFixed(0)} MB/s`);
  }
  return [
    figure({
      figure: `\`jobctl logs ID > /dev/null\`, ${human(size)}, whole process`, anchorName: "`ssh root@127.0.0.1 cat FILE > /dev/null` (OpenSSH)",
      jobworker: median(jw), anchor: median(anchor), unit: "MB/s", better: "higher", rounds, samples: { jobworker: jw, anchor },
      note: "stdout is /dev/null for both; includes process start and connection setup",
    }),
  ];
};
