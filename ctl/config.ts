// jobctl's config file: kubeconfig-shaped YAML (clusters, users, contexts,
// current-context), as certs/jobctl-config.ts writes it. Every problem is
// reported with the file and the field (`config FILE: contexts[1].context.user:
// user "carol" not found`), because a bare "not found" in a file of several
// similar entries is a guessing game.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { ConfigError } from "./errors.js";

/** Where the config comes from when neither --config nor JOBCTL_CONFIG says (the agent's development PKI writes it there). */
export function defaultConfigPath(): string {
  return join(homedir(), ".jobworker", "config");
}

/** The config file to read: --config, else $JOBCTL_CONFIG, else ~/.jobworker/config (absolute). */
export function configPathFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag || env.JOBCTL_CONFIG || defaultConfigPath();
  return resolve(chosen);
}

/** A file named in the config: its absolute path and the field that named it (for error messages). */
export interface ConfigFile {
  path: string;
  field: string;
}

/** Everything needed to connect as one context's user to its cluster. */
export interface JobctlContext {
  configPath: string;
  contextName: string;
  clusterName: string;
  userName: string;
  /** host:port of the agent. */
  server: string;
  /** kubeconfig's tls-server-name: the name to expect in the agent's certificate, if not the server's host. */
  tlsServerName?: string;
  ca: ConfigFile;
  cert: ConfigFile;
  key: ConfigFile;
}

export interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads the config file and resolves the context (`contextName`, else current-context). */
export async function loadConfig(configPath: string, contextName?: string): Promise<JobctlContext> {
  let text: string;
  try {
    text = await readFile(configPath, "utf8");
  } catch (err) {
    const hint = configPath === defaultConfigPath() ? " (start jobagent once to generate it, or pass --config FILE)" : "";
    throw new ConfigError(configPath, undefined, `cannot read: ${describeIoError(err)}${hint}`);
  }
  return resolveContext(configPath, parseYaml(configPath, text), contextName);
}

function parseYaml(configPath: string, text: string): Mapping {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(configPath, undefined, `invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const root: unknown = doc.toJS();
  if (!isMapping(root)) throw new ConfigError(configPath, undefined, "expected a mapping with clusters, users and contexts");
  return root;
}

/** Picks the context and its cluster and user; relative file paths are relative to the config file's directory. */
function resolveContext(configPath: string, root: Mapping, contextName?: string): JobctlContext {
  const fail: Fail = (field, problem) => {
    throw new ConfigError(configPath, field, problem);
  };
  if (root.kind !== undefined && root.kind !== "Config") fail("kind", `expected "Config", got ${JSON.stringify(root.kind)}`);

  const contexts = namedEntries(root, "contexts", "context", fail);
  const clusters = namedEntries(root, "clusters", "cluster", fail);
  const users = namedEntries(root, "users", "user", fail);

  let wanted = contextName;
  if (wanted === undefined) {
    const current = root["current-context"];
    if (current === undefined || current === null || current === "") {
      return fail("current-context", `not set; pass --context NAME (contexts: ${names(contexts)})`);
    }
    if (typeof current !== "string") return fail("current-context", "expected a string");
    wanted = current;
  }
  const context = contexts.find((entry) => entry.name === wanted);
  if (!context) {
    const field = contextName === undefined ? "current-context" : "contexts";
    const from = contextName === undefined ? "" : " (from --context)";
    return fail(field, `context "${wanted}" not found${from}; contexts: ${names(contexts)}`);
  }
  const { body: ctx, field: ctxField } = context;
  const clusterName = requireString(ctx, "cluster", ctxField, fail);
  const userName = requireString(ctx, "user", ctxField, fail);

  const cluster = clusters.find((entry) => entry.name === clusterName);
  if (!cluster) return fail(`${ctxField}.cluster`, `cluster "${clusterName}" not found`);
  const user = users.find((entry) => entry.name === userName);
  if (!user) return fail(`${ctxField}.user`, `user "${userName}" not found`);

  const { body: clusterBody, field: clusterField } = cluster;
  const { body: userBody, field: userField } = user;
  const server = requireString(clusterBody, "server", clusterField, fail);
  if (server.includes("://") || !/:\d+$/.test(server)) fail(`${clusterField}.server`, `expected host:port, got "${server}"`);
  const tlsServerName = clusterBody["tls-server-name"];
  if (tlsServerName !== undefined && typeof tlsServerName !== "string") fail(`${clusterField}.tls-server-name`, "expected a string");

  const dir = dirname(configPath);
  const file = (body: Mapping, key: string, field: string): ConfigFile => ({
    path: resolve(dir, requireString(body, key, field, fail)),
    field: `${field}.${key}`,
  });
  return {
    configPath,
    contextName: wanted,
    clusterName,
    userName,
    server,
    tlsServerName: tlsServerName || undefined,
    ca: file(clusterBody, "certificate-authority", clusterField),
    cert: file(userBody, "client-certificate", userField),
    key: file(userBody, "client-key", userField),
  };
}

/** Reads the CA, certificate and key; a read error names the field that points at the file. */
export async function readTlsFiles(context: JobctlContext): Promise<TlsFiles> {
  const read = async (file: ConfigFile) => {
    try {
      return await readFile(file.path);
    } catch (err) {
      throw new ConfigError(context.configPath, file.field, `cannot read ${file.path}: ${describeIoError(err)}`);
    }
  };
  // One after the other, so that the error names the first missing file, every time.
  return { ca: await read(context.ca), cert: await read(context.cert), key: await read(context.key) };
}

interface NamedEntry {
  name: string;
  /** The entry's inner mapping (e.g. the `cluster:` of a clusters entry). */
  body: Mapping;
  /** Field path of that inner mapping, e.g. "clusters[0].cluster". */
  field: string;
}

type Fail = (field: string | undefined, problem: string) => never;

/** A list like `clusters: [{name, cluster: {...}}]`, checked entry by entry. */
function namedEntries(root: Mapping, listKey: string, bodyKey: string, fail: Fail): NamedEntry[] {
  const list = root[listKey];
  if (list === undefined || list === null) return fail(listKey, "missing");
  if (!Array.isArray(list)) return fail(listKey, "expected a list");
  const seen = new Set<string>();
  return list.map((entry: unknown, i) => {
    const at = `${listKey}[${i}]`;
    if (!isMapping(entry)) return fail(at, `expected a mapping with name and ${bodyKey}`);
    const name = requireString(entry, "name", at, fail);
    if (seen.has(name)) fail(`${at}.name`, `duplicate name "${name}"`);
    seen.add(name);
    const body = entry[bodyKey];
    if (!isMapping(body)) return fail(`${at}.${bodyKey}`, body === undefined ? "missing" : "expected a mapping");
    return { name, body, field: `${at}.${bodyKey}` };
  });
}

function requireString(body: Mapping, key: string, field: string, fail: Fail): string {
  const value = body[key];
  if (value === undefined || value === null || value === "") return fail(`${field}.${key}`, "missing");
  if (typeof value !== "string") return fail(`${field}.${key}`, "expected a string");
  return value;
}

function names(entries: NamedEntry[]): string {
  return entries.length === 0 ? "(none)" : entries.map((entry) => entry.name).join(", ");
}

function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ENOENT") return "no such file";
  if (e.code === "EACCES") return "permission denied";
  if (e.code === "EISDIR") return "is a directory";
  return e.code ?? e.message;
}
