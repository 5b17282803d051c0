// jobctl's config file: kubeconfig-shaped YAML (clusters, users, contexts,
// current-context), familiar to anyone who has used kubectl. File paths inside
// it are written relative to the config file's directory when the file lives
// under it, so a PKI directory with its config can be moved or copied whole.
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { isMap, isSeq, parseDocument, stringify, type Document } from "yaml";
import { PRIVATE_MODE, writeFileAtomic } from "../common/files.js";

export interface JobctlClient {
  /** Becomes the user's and the context's name. */
  name: string;
  certPath: string;
  keyPath: string;
}

export interface JobctlConfigOptions {
  /** Default "local". */
  clusterName?: string;
  /** host:port of the agent. */
  server: string;
  caPath: string;
  /** One user and one context each. */
  clients: JobctlClient[];
  /** Default: the first client. */
  currentContext?: string;
  /** Fail with EEXIST rather than replace an existing file (checked atomically). */
  exclusive?: boolean;
}

// kubectl's layout: sequences flush with their key ("- name:" at the key's column).
const STYLE = { indentSeq: false } as const;

/** Writes a complete config (mode 0600: it says where the private keys are). */
export async function writeJobctlConfig(path: string, options: JobctlConfigOptions): Promise<void> {
  const { clients } = options;
  if (clients.length === 0) throw new Error("a jobctl config needs at least one client");
  const names = new Set(clients.map((c) => c.name));
  if (names.size !== clients.length) throw new Error("client names in a jobctl config must be unique");
  const current = options.currentContext ?? clients[0]!.name;
  if (!names.has(current)) throw new Error(`current context "${current}" is not one of the clients`);

  const dir = configDir(path);
  const cluster = options.clusterName ?? "local";
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster, cluster: { server: options.server, "certificate-authority": pathFrom(dir, options.caPath) } }],
    users: clients.map((c) => userEntry(dir, c)),
    contexts: clients.map((c) => contextEntry(c.name, cluster)),
    "current-context": current,
  };
  await writeFileAtomic(path, stringify(config, STYLE), { mode: PRIVATE_MODE, exclusive: options.exclusive });
}

/**
 * Adds (or, if the name is taken, replaces) a user and a context for `client`
 * in an existing config, keeping every other entry and any comments. The
 * context uses the current context's cluster, else the first cluster.
 */
export async function addJobctlUser(path: string, client: JobctlClient): Promise<void> {
  const doc = parseDocument(await readFile(path, "utf8"));
  if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message.split("\n")[0]}`);
  const config: unknown = doc.toJS();
  if (!isRecord(config)) throw new Error(`${path}: not a jobctl config (expected a mapping)`);

  const clusters = Array.isArray(config.clusters) ? config.clusters.filter(isRecord) : [];
  const contexts = Array.isArray(config.contexts) ? config.contexts.filter(isRecord) : [];
  const currentCluster = contexts.find((c) => c.name === config["current-context"]);
  const cluster = (isRecord(currentCluster?.context) ? currentCluster.context.cluster : undefined) ?? clusters[0]?.name;
  if (typeof cluster !== "string") throw new Error(`${path}: has no cluster to add the context "${client.name}" to`);

  upsertByName(doc, "users", userEntry(configDir(path), client));
  upsertByName(doc, "contexts", contextEntry(client.name, cluster));
  await writeFileAtomic(path, doc.toString(STYLE), { mode: PRIVATE_MODE });
}

function userEntry(dir: string, client: JobctlClient) {
  return {
    name: client.name,
    user: { "client-certificate": pathFrom(dir, client.certPath), "client-key": pathFrom(dir, client.keyPath) },
  };
}

function contextEntry(name: string, cluster: string) {
  return { name, context: { cluster, user: name } };
}

/** Replaces the entry with the same name in the sequence under `key`, or appends it. */
function upsertByName(doc: Document, key: string, entry: { name: string }): void {
  const seq = doc.get(key);
  if (!isSeq(seq)) {
    doc.set(key, doc.createNode([entry]));
    return;
  }
  if (seq.items.length === 0) seq.flow = false; // "users: []" grows into a block list, not "[ { ... } ]"
  const node = doc.createNode(entry);
  const at = seq.items.findIndex((item) => isMap(item) && item.get("name") === entry.name);
  if (at >= 0) seq.items[at] = node;
  else seq.items.push(node);
}

function configDir(path: string): string {
  return dirname(resolve(path));
}

/** `target` relative to `dir` when it is inside it, else absolute. */
function pathFrom(dir: string, target: string): string {
  const absolute = resolve(target);
  const rel = relative(dir, absolute);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? rel : absolute;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
