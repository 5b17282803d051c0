// Reading a password: from the terminal without echo when stdin is one;
// otherwise one line from stdin, so scripts and tests can pipe it in
// (`printf '%s\n' "$pw" | jobctl login -u alice`) instead of putting it on the
// command line, where every user of the host can see it in ps.
import { createInterface } from "node:readline";
import type { ReadStream } from "node:tty";
import { UsageError } from "./errors.js";

export async function readPassword(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (input.isTTY) return readHidden(prompt, input as NodeJS.ReadStream & ReadStream, output);
  return readLine(input);
}

/** The first line of a pipe or file (without its line ending); EOF before any byte is an error. */
async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) return line;
  } finally {
    lines.close();
  }
  throw new UsageError("no password given: stdin is empty (pipe one line, or use -p)");
}

/**
 * Raw mode, so nothing is echoed: Enter ends the line, Backspace edits it,
 * Ctrl-D on an empty line gives up, and Ctrl-C (which raw mode delivers as a
 * byte) ends jobctl as Ctrl-C normally would, after restoring the terminal.
 */
function readHidden(prompt: string, input: NodeJS.ReadStream & ReadStream, output: NodeJS.WriteStream): Promise<string> {
  output.write(prompt);
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();
  let value = "";
  return new Promise((resolve, reject) => {
    const restore = () => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      output.write("\n");
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") {
          restore();
          return resolve(value);
        }
        if (char === "\u0003") {
          restore();
          process.kill(process.pid, "SIGINT");
          return;
        }
        if (char === "\u0004" && value === "") {
          restore();
          return reject(new UsageError("no password given"));
        }
        if (char === "\u007f" || char === "\b") value = [...value].slice(0, -1).join("");
        else if (char >= " ") value += char;
      }
    };
    input.on("data", onData);
  });
}
