// jobctl itself: run the command, turn any failure into one stderr line and
// an exit code (exit-codes.ts), and let the process end by itself once the
// command has closed its client (so stdout is flushed). main.ts starts it.
import "./quiet-warnings.js";
import { reportFailure } from "./errors.js";
import { buildProgram } from "./program.js";
import { rewriteSeedForms } from "./seed-forms.js";

// A reader that goes away (`jobctl logs ID | head`) is not an error; without
// a listener Node would crash with a stack trace on EPIPE.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") process.exitCode = reportFailure(err);
});

// No top-level await: cli.ts is also bundled as a script (jobctl.cjs).
buildProgram()
  .parseAsync(rewriteSeedForms(process.argv))
  .catch((err: unknown) => {
    process.exitCode = reportFailure(err);
  });
