// The seeds' command lines, rewritten into jobctl's own before parsing:
//
//   seed 000: jobctl start <command> -args <arg1> <arg2>
//   seed 003: jobctl start -t <JWT> -c <command> -args <arg1> <arg2>
//
// both become `jobctl [-t JWT] start -- <command> <arg1> <arg2>`. `-args` is one
// token with a single dash, which commander would read as -a -r -g -s; what
// follows it is the job's, never jobctl's options. Every other seed form
// (`stop|query|stream -j ID`, `-t JWT`, `login -u -p`) is an option jobctl has.

/** Global options that take a value (to find the verb behind them). */
const GLOBAL_WITH_VALUE = new Set(["--config", "--context", "-t", "--token"]);

export function rewriteSeedForms(argv: string[]): string[] {
  let verb = 2; // argv[0] is node, argv[1] the script
  while (verb < argv.length && argv[verb].startsWith("-")) verb += GLOBAL_WITH_VALUE.has(argv[verb]) ? 2 : 1;
  if (argv[verb] !== "start") return argv;
  const rest = argv.slice(verb + 1);
  const argsAt = rest.indexOf("-args");
  const head = argsAt >= 0 ? rest.slice(0, argsAt) : rest;
  if (head.includes("--") || (argsAt < 0 && !head.includes("-c"))) return argv; // jobctl's own form
  const jobArgs = argsAt >= 0 ? rest.slice(argsAt + 1) : [];
  const options = [...head];
  let command: string | undefined;
  const c = options.indexOf("-c");
  if (c >= 0) [, command] = options.splice(c, 2);
  else if (options.length > 0 && !options[options.length - 1].startsWith("-")) command = options.pop();
  if (command === undefined) return argv; // nothing to run: let the parser say so
  return [...argv.slice(0, verb + 1), ...options, "--", command, ...jobArgs];
}
