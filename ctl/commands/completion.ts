// jobctl completion bash|zsh: prints the shell completion script (completion.ts).
import { Argument, type Command } from "commander";
import { bashCompletion, zshCompletion } from "../completion.js";

export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script: verbs, flags, context names and job ids")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"]))
    .addHelpText(
      "after",
      `
Examples:
  source <(jobctl completion bash)                      # this bash session; add it to ~/.bashrc to keep it
  jobctl completion bash > /etc/bash_completion.d/jobctl
  source <(jobctl completion zsh)                       # zsh, after compinit
  jobctl completion zsh > "\${fpath[1]}/_jobctl"

Context names come from \`jobctl config get-contexts -o name\`, job ids from
\`jobctl get jobs -o name\` and spec names from \`jobctl get specs -o name\`, run
with the --config and --context typed so far.`,
    )
    .action((shell: "bash" | "zsh") => {
      process.stdout.write(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
    });
}
