// jobctl info: what the agent is and can do (version, cgroup mode, run-as
// user, limits), and who the caller is to it.
import type { Command } from "commander";
import type { AgentInfoResponse__Output } from "../../proto/generated/workerservice/AgentInfoResponse.js";
import { formatLimits, orDash, printable, formatFields } from "../format.js";
import { withAgent } from "./shared.js";

export function registerInfo(program: Command): void {
  program
    .command("info")
    .description("show the agent's version, resource-control (cgroup) mode, run-as user and limits, and your identity")
    .addHelpText(
      "after",
      `
Examples:
  jobctl info
  jobctl --context prod info | grep '^Cgroup'`,
    )
    .action(async (_options: object, command: Command) => {
      process.stdout.write(formatInfo(await withAgent(command, (api) => api.agentInfo())));
    });
}

export function formatInfo(info: AgentInfoResponse__Output): string {
  const lines: [string, string][] = [
    ["Agent Version", info.version],
    ["Cgroup Mode", info.cgroupMode],
    ["Cgroup Root", orDash(info.cgroupRoot)],
    ["Cgroup Reason", orDash(printable(info.cgroupReason))],
    ["Run As", printable(info.runAsUser)],
    ["Root Jobs", info.allowRootJobs ? "allowed (admin only)" : "not allowed"],
    ["Default Limits", formatLimits(info.defaultLimits)],
    ["Max Limits", formatLimits(info.maxLimits)],
    ["You", `${printable(info.identity)} (role ${orDash(printable(info.role))})`],
  ];
  return formatFields(lines);
}
