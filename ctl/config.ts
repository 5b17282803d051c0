// jobctl's config: kubeconfig-shaped YAML (clusters, users, contexts,
// current-context), as certs/jobctl-config.ts writes it, possibly merged from
// several files (config-files.ts). Every problem is reported with the file
// and the field (`config FILE: contexts[1].context.user: user "carol" not
// found`), because a bare "not found" in a file of several similar entries is
// a guessing game.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError } from "./errors.js";
import {
  describeIoError,
  failIn,
  fieldOf,
  optionalString,
  readMergedConfig,
  requireString,
  type ConfigSelection,
  type Mapping,
  type MergedConfig,
  type NamedEntry,
} from "./config-files.js";

export { configSelection, defaultConfigPath, type ConfigSelection } from "./config-files.js";

/**
 * CA, client certificate or key: a file the config names (`path`), or the
 * PEM inline as base64 (`data`, from a `...-data` field).
 */
export interface TlsSource {
  path?: string;
  data?: Buffer;
  /** The field that gave it, e.g. "users[0].user.client-key" (for error messages). */
  field: string;
  /** The config file holding that field. */
  file: string;
}

/** Everything needed to connect as one context's user to its cluster. */
export interface JobctlContext {
  /** The file that defines the context. */
  configPath: string;
  contextName: string;
  clusterName: string;
  userName: string;
  /** The file that defines the user (login and logout edit it). */
  userFile: string;
  /** host:port of the agent. */
  server: string;
  /** kubeconfig's tls-server-name: the name to expect in the agent's certificate, if not the server's host. */
  tlsServerName?: string;
  ca: TlsSource;
  cert: TlsSource;
  key: TlsSource;
  /** From `jobctl login`: sent as "authorization: Bearer <token>" on every call. */
  token?: string;
}

export interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Reads the config (one file, or a selection to merge) and resolves the context (`contextName`, else current-context). */
export async function loadConfig(from: string | ConfigSelection, contextName?: string): Promise<JobctlContext> {
  const selection = typeof from === "string" ? { paths: [resolve(from)], explicit: true } : from;
  return resolveContext(await readMergedConfig(selection), contextName);
}

/** How several files are named in one message: as JOBCTL_CONFIG lists them. */
export function filesLabel(config: MergedConfig): string {
  return config.selection.paths.join(":");
}

/** The context names, for a message saying which there are: "a, b", or "(none)". */
export function contextNames(config: MergedConfig): string {
  const contexts = config.entries.contexts;
  return contexts.size === 0 ? "(none)" : [...contexts.keys()].join(", ");
}

/** current-context's name and file; a ConfigError if no file sets it. */
export function requireCurrentContext(config: MergedConfig): { name: string; file: string } {
  if (!config.currentContext) throw new ConfigError(filesLabel(config), "current-context", "not set");
  return config.currentContext;
}

/** The context's entry: `contextName`, else current-context; a ConfigError naming where the name came from. */
export function selectContext(config: MergedConfig, contextName?: string): NamedEntry {
  const contexts = config.entries.contexts;
  const known = contextNames(config);
  if (contextName === undefined && config.currentContext === undefined) {
    throw new ConfigError(filesLabel(config), "current-context", `not set; pass --context NAME (contexts: ${known})`);
  }
  const wanted = contextName ?? config.currentContext!.name;
  const context = contexts.get(wanted);
  if (context) return context;
  if (contextName !== undefined) throw new ConfigError(filesLabel(config), "contexts", `context "${wanted}" not found (from --context); contexts: ${known}`);
  throw new ConfigError(config.currentContext!.file, "current-context", `context "${wanted}" not found; contexts: ${known}`);
}

/** Picks the context and its cluster and user; relative file paths are relative to the directory of the file that names them. */
export function resolveContext(config: MergedConfig, contextName?: string): JobctlContext {
  const context = selectContext(config, contextName);
  const failContext = failIn(context.file);
  const clusterName = requireString(context.body, "cluster", context.field, failContext);
  const userName = requireString(context.body, "user", context.field, failContext);
  const cluster = config.entries.clusters.get(clusterName);
  if (!cluster) return failContext(`${context.field}.cluster`, `cluster "${clusterName}" not found`);
  const user = config.entries.users.get(userName);
  if (!user) return failContext(`${context.field}.user`, `user "${userName}" not found`);

  const failCluster = failIn(cluster.file);
  const server = requireString(cluster.body, "server", cluster.field, failCluster);
  if (server.includes("://") || !/:\d+$/.test(server)) failCluster(fieldOf(cluster, "server"), `expected host:port, got "${server}"`);
  const tlsServerName = optionalString(cluster.body, "tls-server-name", cluster.field, failCluster);
  const token = optionalString(user.body, "token", user.field, failIn(user.file));
  // gRPC metadata takes printable ASCII only; anything else is a damaged file, not something to send.
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) failIn(user.file)(`${user.field}.token`, "not a token (printable ASCII without spaces)");

  return {
    configPath: context.file,
    contextName: context.name,
    clusterName,
    userName,
    userFile: user.file,
    server,
    tlsServerName,
    ca: tlsSource(cluster, "certificate-authority"),
    cert: tlsSource(user, "client-certificate"),
    key: tlsSource(user, "client-key"),
    token,
  };
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** `key` (a path, relative to the entry's file) or `key-data` (base64 PEM): exactly one of them. */
function tlsSource(entry: NamedEntry, key: string): TlsSource {
  const fail = failIn(entry.file);
  const body: Mapping = entry.body;
  const path = optionalString(body, key, entry.field, fail);
  const data = optionalString(body, `${key}-data`, entry.field, fail);
  if (path !== undefined && data !== undefined) fail(`${entry.field}.${key}`, `set either ${key} or ${key}-data, not both`);
  if (data !== undefined) {
    if (!BASE64.test(data)) fail(`${entry.field}.${key}-data`, "not base64");
    return { data: Buffer.from(data, "base64"), field: `${entry.field}.${key}-data`, file: entry.file };
  }
  if (path === undefined) return fail(fieldOf(entry, key), "missing");
  return { path: resolve(dirname(entry.file), path), field: fieldOf(entry, key), file: entry.file };
}

/** Reads the CA, certificate and key; a read error names the field that points at the file. */
export async function readTlsFiles(context: JobctlContext): Promise<TlsFiles> {
  const read = async (source: TlsSource) => {
    if (source.data) return source.data;
    try {
      return await readFile(source.path!);
    } catch (err) {
      throw new ConfigError(source.file, source.field, `cannot read ${source.path}: ${describeIoError(err)}`);
    }
  };
  // One after the other, so that the error names the first missing file, every time.
  return { ca: await read(context.ca), cert: await read(context.cert), key: await read(context.key) };
}
