// Seed 000's client config: one flat mapping with the agent's address and
// the three TLS files,
//
//   serverAddress: "localhost:5000"
//   serverCA: "path to CA file"
//   clientCertificate: "path to client cert"
//   clientKey: "path to private key of client cert"
//
// read as a config of one context (cluster, user and context all named
// FLAT_CONFIG_NAME, and current), so every verb works with `--config FILE`.
// Such a file cannot hold what edits write (a login token, a second context):
// `jobctl config import FILE` copies it into a kubeconfig-style file.
import { dirname, resolve } from "node:path";
import type { Fail, Mapping, NamedEntry } from "./config-entry.js";

export const FLAT_CONFIG_NAME = "default";

const FLAT_KEYS = ["serverAddress", "serverCA", "clientCertificate", "clientKey"] as const;
type FlatKey = (typeof FLAT_KEYS)[number];

/** A mapping with any of seed 000's keys and none of kubeconfig's lists is seed 000's form. */
export function isFlatConfig(root: Mapping): boolean {
  return FLAT_KEYS.some((key) => key in root) && !["clusters", "users", "contexts"].some((key) => key in root);
}

/** The file's one cluster, user and context; `fail` names the field at fault (unknown keys included: a typo must not go unnoticed). */
export function flatEntries(file: string, root: Mapping, fail: Fail): { clusters: NamedEntry[]; users: NamedEntry[]; contexts: NamedEntry[] } {
  for (const key of Object.keys(root)) {
    if (!(FLAT_KEYS as readonly string[]).includes(key)) fail(key, `unknown key in seed 000's client config (expected ${FLAT_KEYS.join(", ")})`);
  }
  const value = (key: FlatKey): string => {
    const v = root[key];
    if (v === undefined || v === null || v === "") return fail(key, "missing");
    if (typeof v !== "string") return fail(key, "expected a string");
    return v;
  };
  const entry = (body: Mapping, keyFields: Record<string, string>): NamedEntry => ({ name: FLAT_CONFIG_NAME, body, field: "", file, keyFields });
  return {
    clusters: [entry({ server: value("serverAddress"), "certificate-authority": value("serverCA") }, { server: "serverAddress", "certificate-authority": "serverCA" })],
    users: [entry({ "client-certificate": value("clientCertificate"), "client-key": value("clientKey") }, { "client-certificate": "clientCertificate", "client-key": "clientKey" })],
    contexts: [entry({ cluster: FLAT_CONFIG_NAME, user: FLAT_CONFIG_NAME }, { cluster: "serverAddress", user: "clientCertificate" })],
  };
}

/** The same as kubeconfig entries for another file: paths made absolute (they were relative to the seed file's directory). */
export function importedEntries(file: string, root: Mapping, name: string, fail: Fail): { cluster: Mapping; user: Mapping; context: Mapping } {
  const { clusters, users } = flatEntries(file, root, fail);
  const absolute = (body: Mapping) =>
    Object.fromEntries(Object.entries(body).map(([key, v]) => [key, key === "server" ? v : resolve(dirname(file), v as string)]));
  return { cluster: absolute(clusters[0]!.body), user: absolute(users[0]!.body), context: { cluster: name, user: name } };
}
