// The process-start anchor: node's spawn() of a command until it exits.
import { spawn } from "node:child_process";
import { msSince, now } from "./stats.js";

/** spawn(command) with stdio ignored, until exit; resolves with ms. */
export function spawnUntilExit(command = "/bin/true", args: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = now();
    const child = spawn(command, args, { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(msSince(began)) : reject(new Error(`${command} exit ${code}`))));
  });
}
