// jobctl config view: the merged config as one document, like kubectl config
// view. Paths are shown absolute (entries may come from files in different
// directories); key material and tokens are hidden unless --raw, with
// kubectl's placeholders, so the output can be pasted into a ticket.
import { isAbsolute, dirname, resolve } from "node:path";
import { selectContext } from "./config.js";
import { BODY_KEY, ENTRY_KINDS, type Mapping, type MergedConfig, type NamedEntry } from "./config-files.js";

export interface ViewOptions {
  raw?: boolean;
  /** Only the context in use (--context, else current-context) and its cluster and user. */
  minify?: boolean;
  context?: string;
}

const PATH_KEYS = new Set(["certificate-authority", "client-certificate", "client-key"]);
const DATA_KEYS = new Set(["certificate-authority-data", "client-certificate-data", "client-key-data"]);
const SECRET_KEYS = new Set(["token"]);

export function viewConfig(config: MergedConfig, options: ViewOptions = {}): Mapping {
  const entries: Record<string, NamedEntry[]> = Object.fromEntries(ENTRY_KINDS.map((kind) => [kind, [...config.entries[kind].values()]]));
  let current = config.currentContext?.name;
  if (options.minify) {
    const context = selectContext(config, options.context);
    current = context.name;
    entries.contexts = [context];
    entries.clusters = entries.clusters!.filter((entry) => entry.name === context.body.cluster);
    entries.users = entries.users!.filter((entry) => entry.name === context.body.user);
  }
  const shown = (kind: (typeof ENTRY_KINDS)[number]) =>
    entries[kind]!.map((entry) => ({ name: entry.name, [BODY_KEY[kind]]: shownBody(entry, options.raw === true) }));
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: shown("clusters"),
    users: shown("users"),
    contexts: shown("contexts"),
    "current-context": current ?? "",
  };
}

function shownBody(entry: NamedEntry, raw: boolean): Mapping {
  const out: Mapping = {};
  for (const [key, value] of Object.entries(entry.body)) {
    if (PATH_KEYS.has(key) && typeof value === "string" && value !== "" && !isAbsolute(value)) out[key] = resolve(dirname(entry.file), value);
    else if (!raw && DATA_KEYS.has(key) && value) out[key] = "DATA+OMITTED";
    else if (!raw && SECRET_KEYS.has(key) && value) out[key] = "REDACTED";
    else out[key] = value;
  }
  return out;
}
