// Changing config files the way kubectl does: a value that exists is changed
// in the file that defines it; a new one goes to the first file that exists
// (else the first listed); with --config, everything goes to that file.
// Edits go through the YAML document, so comments and layout survive, and
// the file is replaced atomically, mode 0600 (it holds tokens).
import { readFile, realpath } from "node:fs/promises";
import { Document, isMap, isSeq, parseDocument, type YAMLMap } from "yaml";
import { PRIVATE_MODE, writeFileAtomic } from "../common/files.js";
import { BODY_KEY, isMapping, type EntryKind, type MergedConfig } from "./config-files.js";
import { isFlatConfig } from "./seed-config.js";
import { ConfigError } from "./errors.js";

/** kubectl's file for values not yet defined anywhere (GetDefaultFilename). */
export function fileForNewValues(config: MergedConfig): string {
  if (config.selection.explicit) return config.selection.paths[0]!;
  return config.files.find((file) => file.exists)?.path ?? config.selection.paths[0]!;
}

/** Reads `path` (a new, empty config if there is none), applies `edit`, writes it back. */
export async function editConfigFile<T>(path: string, edit: (doc: Document) => T): Promise<T> {
  // Write through a symlink (a config kept in a dotfiles repository stays there).
  const target = await realpath(path).catch(() => path);
  let text: string | undefined;
  try {
    text = await readFile(target, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new ConfigError(path, undefined, `cannot read: ${(err as Error).message}`);
  }
  const doc = text === undefined ? new Document({ apiVersion: "v1", kind: "Config" }) : parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(path, undefined, `invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const root: unknown = doc.toJS();
  if (isMapping(root) && isFlatConfig(root)) {
    throw new ConfigError(path, undefined, `seed 000's flat client config holds one context and no tokens; copy it into a kubeconfig-style file first: jobctl config import ${path}`);
  }
  if (!isMap(doc.contents)) doc.contents = doc.createNode({ apiVersion: "v1", kind: "Config" });
  const result = edit(doc);
  // kubectl's layout: sequences flush with their key ("- name:" at the key's column).
  await writeFileAtomic(target, doc.toString({ indentSeq: false }), { mode: PRIVATE_MODE });
  return result;
}

/** The inner mapping of the entry named `name` in `kind` (e.g. a context's `context:`), created if `create`. */
export function entryBody(doc: Document, kind: EntryKind, name: string, create: boolean): YAMLMap | undefined {
  const bodyKey = BODY_KEY[kind];
  let seq = doc.get(kind);
  if (!isSeq(seq)) {
    if (!create) return undefined;
    doc.set(kind, doc.createNode([]));
    seq = doc.get(kind);
  }
  if (!isSeq(seq)) return undefined;
  let entry = seq.items.find((item) => isMap(item) && item.get("name") === name);
  if (!entry) {
    if (!create) return undefined;
    seq.flow = false; // "contexts: []" grows into a block list, not "[ { ... } ]"
    entry = doc.createNode({ name, [bodyKey]: {} });
    seq.items.push(entry);
  }
  if (!isMap(entry)) return undefined;
  let body = entry.get(bodyKey, true);
  if (!isMap(body)) {
    entry.set(bodyKey, doc.createNode({}));
    body = entry.get(bodyKey, true);
  }
  return isMap(body) ? body : undefined;
}

/** The user entry's mapping in the file being edited (it was there when the config was read); a ConfigError if it has gone since. */
export function existingUserBody(doc: Document, file: string, name: string): YAMLMap {
  const body = entryBody(doc, "users", name, false);
  if (!body) throw new ConfigError(file, "users", `user "${name}" not found (the file changed meanwhile?)`);
  return body;
}
