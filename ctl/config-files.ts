// Reading jobctl's config files and merging them as kubectl merges KUBECONFIG:
// `--config FILE` names exactly one file; $JOBCTL_CONFIG may list several,
// separated by ":", and for every named entry (cluster, user, context) the
// first file that defines the name wins, whole; current-context comes from
// the first file that sets it. Every entry remembers the file it came from,
// so that relative paths resolve against that file's directory, errors name
// it, and edits go back to it.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { ConfigError } from "./errors.js";
import type { Fail, Mapping, NamedEntry } from "./config-entry.js";
import { FLAT_CONFIG_NAME, flatEntries, isFlatConfig } from "./seed-config.js";

// Declared in config-entry.ts (so seed-config.ts need not import this file); read with the rest here.
export type { Fail, Mapping, NamedEntry };

/** Where the config comes from when neither --config nor JOBCTL_CONFIG says (the agent's development PKI writes it there). */
export function defaultConfigPath(): string {
  return join(homedir(), ".jobworker", "config");
}

/** The config files to read, most important first (absolute paths). */
export interface ConfigSelection {
  paths: string[];
  /** From --config: the one file, which must exist; edits always go to it. */
  explicit: boolean;
}

/** --config FILE, else $JOBCTL_CONFIG (FILE[:FILE...], empty parts and repeats skipped), else ~/.jobworker/config. */
export function configSelection(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigSelection {
  if (flag) return { paths: [resolve(flag)], explicit: true };
  const listed = [...new Set((env.JOBCTL_CONFIG ?? "").split(":").filter((part) => part !== "").map((part) => resolve(part)))];
  return { paths: listed.length > 0 ? listed : [defaultConfigPath()], explicit: false };
}

export function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export type EntryKind = "clusters" | "users" | "contexts";
/** The key of each list's inner mapping: `clusters: [{name, cluster: {...}}]`. */
export const BODY_KEY: Record<EntryKind, string> = { clusters: "cluster", users: "user", contexts: "context" };
export const ENTRY_KINDS: readonly EntryKind[] = ["clusters", "users", "contexts"];

/** The field path to name in an error about `key` of the entry's body. */
export function fieldOf(entry: NamedEntry, key: string): string {
  return entry.keyFields?.[key] ?? `${entry.field}.${key}`;
}

export interface ConfigFileContents {
  path: string;
  /** False for a file of $JOBCTL_CONFIG's list that does not exist (kubectl skips those). */
  exists: boolean;
  entries: Record<EntryKind, NamedEntry[]>;
  currentContext?: string;
  /** Seed 000's flat client config (seed-config.ts): read as one context, never edited. */
  flat?: boolean;
}

/** The files merged: each name's winning entry, and where current-context came from. */
export interface MergedConfig {
  selection: ConfigSelection;
  files: ConfigFileContents[];
  entries: Record<EntryKind, Map<string, NamedEntry>>;
  currentContext?: { name: string; file: string };
}

export interface ReadOptions {
  /** No file existing is not an error (the first one will be created by an edit). */
  allowMissing?: boolean;
}

export async function readMergedConfig(selection: ConfigSelection, options: ReadOptions = {}): Promise<MergedConfig> {
  const files = await Promise.all(selection.paths.map((path) => readConfigFile(path)));
  if (!options.allowMissing && !files.some((file) => file.exists)) {
    const first = selection.paths[0]!;
    const hint = first === defaultConfigPath() ? " (start jobagent once to generate it, or pass --config FILE)" : "";
    const others = selection.paths.length > 1 ? ` (nor does any other file JOBCTL_CONFIG lists)` : "";
    throw new ConfigError(first, undefined, `cannot read: no such file${others}${hint}`);
  }
  const entries = { clusters: new Map(), users: new Map(), contexts: new Map() } as MergedConfig["entries"];
  let currentContext: MergedConfig["currentContext"];
  for (const file of files) {
    for (const kind of ENTRY_KINDS) {
      for (const entry of file.entries[kind]) if (!entries[kind].has(entry.name)) entries[kind].set(entry.name, entry);
    }
    if (currentContext === undefined && file.currentContext) currentContext = { name: file.currentContext, file: file.path };
  }
  return { selection, files, entries, currentContext };
}

/** One file, checked entry by entry; a missing one reads as empty (readMergedConfig decides whether that is an error). */
async function readConfigFile(path: string): Promise<ConfigFileContents> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { path, exists: false, entries: { clusters: [], users: [], contexts: [] } };
    throw new ConfigError(path, undefined, `cannot read: ${describeIoError(err)}`);
  }
  const root = parseYaml(path, text);
  const fail: Fail = failIn(path); // typed, so that TypeScript knows a call ends the path
  if (isFlatConfig(root)) return { path, exists: true, entries: flatEntries(path, root, fail), currentContext: FLAT_CONFIG_NAME, flat: true };
  if (root.kind !== undefined && root.kind !== "Config") fail("kind", `expected "Config", got ${JSON.stringify(root.kind)}`);
  const current = root["current-context"];
  if (current !== undefined && current !== null && typeof current !== "string") fail("current-context", "expected a string");
  return {
    path,
    exists: true,
    entries: {
      clusters: namedEntries(path, root, "clusters", fail),
      users: namedEntries(path, root, "users", fail),
      contexts: namedEntries(path, root, "contexts", fail),
    },
    currentContext: current || undefined,
  };
}

export function parseYaml(path: string, text: string): Mapping {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(path, undefined, `invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const root: unknown = doc.toJS();
  // An empty file is an empty config (kubectl agrees), e.g. one that only an edit will fill.
  if (root === null || root === undefined) return {};
  if (!isMapping(root)) throw new ConfigError(path, undefined, "expected a mapping with clusters, users and contexts");
  return root;
}

/** A Fail that throws a ConfigError naming `file`. */
export function failIn(file: string): Fail {
  return (field, problem) => {
    throw new ConfigError(file, field, problem);
  };
}

/** A list like `clusters: [{name, cluster: {...}}]`, checked entry by entry; absent means empty (another file may hold them). */
function namedEntries(file: string, root: Mapping, kind: EntryKind, fail: Fail): NamedEntry[] {
  const list = root[kind];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return fail(kind, "expected a list");
  const bodyKey = BODY_KEY[kind];
  const seen = new Set<string>();
  return list.map((entry: unknown, i) => {
    const at = `${kind}[${i}]`;
    if (!isMapping(entry)) return fail(at, `expected a mapping with name and ${bodyKey}`);
    const name = requireString(entry, "name", at, fail);
    if (seen.has(name)) fail(`${at}.name`, `duplicate name "${name}"`);
    seen.add(name);
    const body = entry[bodyKey];
    if (!isMapping(body)) return fail(`${at}.${bodyKey}`, body === undefined ? "missing" : "expected a mapping");
    return { name, body, field: `${at}.${bodyKey}`, file };
  });
}

export function requireString(body: Mapping, key: string, field: string, fail: Fail): string {
  const value = optionalString(body, key, field, fail);
  if (value === undefined) return fail(`${field}.${key}`, "missing");
  return value;
}

/** The value if set; undefined when absent, null or empty; a config error if it is not a string. */
export function optionalString(body: Mapping, key: string, field: string, fail: Fail): string | undefined {
  const value = body[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") return fail(`${field}.${key}`, "expected a string");
  return value;
}

export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ENOENT") return "no such file";
  if (e.code === "EACCES") return "permission denied";
  if (e.code === "EISDIR") return "is a directory";
  return e.code ?? e.message;
}
