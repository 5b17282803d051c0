// A benchmark's option: `--name VALUE` or `--name=VALUE`, else the environment variable, else the default.
export function option(name: string, env: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) {
    const value = process.argv[i + 1];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    return value;
  }
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3) ?? process.env[env] ?? fallback;
}
