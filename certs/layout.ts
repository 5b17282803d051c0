// The PKI directory on disk, shared by `npm run certs` and the agent's
// first-start development PKI:
//   DIR/ca.crt DIR/ca.key DIR/server.crt DIR/server.key
//   DIR/clients/<name>.crt DIR/clients/<name>.key
// ca.crt is written last: its presence means the whole set was written.
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PRIVATE_MODE, PUBLIC_MODE, writeFileAtomic } from "../common/files.js";
import { addJobctlUser, writeJobctlConfig } from "./jobctl-config.js";
import { createCa, issueClientCert, issueServerCert, loadCa, type PemPair } from "./pki.js";
import { readCertificateRole } from "../common/certificate-role.js";

export interface ClientSpec {
  name: string;
  role: string;
}

export interface ClientFiles {
  role: string;
  certPath: string;
  keyPath: string;
}

export interface GeneratePkiOptions {
  dir: string;
  /** Extra server SANs (host names or IPs); the host of `server` is added too. */
  serverNames?: string[];
  clients: ClientSpec[];
  /** Agent address for the jobctl config. Default "localhost:5000". */
  server?: string;
  /** Where to write the jobctl config: default DIR/jobctl.yaml; false for none. */
  configPath?: string | false;
  clusterName?: string;
  /** Replace an existing CA and config (client files of the old CA are left as they are). */
  force?: boolean;
}

export interface GeneratedPki {
  caPath: string;
  caKeyPath: string;
  certPath: string;
  keyPath: string;
  clients: Record<string, ClientFiles>;
  /** The jobctl config written, if any. */
  configPath?: string;
}

/** A file generatePki/issueClient will not replace without `force`. */
export class AlreadyExistsError extends Error {}

/** The identities of the agent's development PKI. */
export const DEV_CLIENTS: readonly ClientSpec[] = [
  { name: "admin", role: "admin" },
  { name: "alice", role: "user" },
  { name: "bob", role: "user" },
  { name: "viewer", role: "readonly" },
];

export function pkiPaths(dir: string) {
  return {
    caPath: join(dir, "ca.crt"),
    caKeyPath: join(dir, "ca.key"),
    certPath: join(dir, "server.crt"),
    keyPath: join(dir, "server.key"),
    clientsDir: join(dir, "clients"),
  };
}

export function clientPaths(dir: string, name: string): { certPath: string; keyPath: string } {
  checkClientName(name);
  return { certPath: join(dir, "clients", `${name}.crt`), keyPath: join(dir, "clients", `${name}.key`) };
}

export async function generatePki(options: GeneratePkiOptions): Promise<GeneratedPki> {
  const { dir, force = false } = options;
  const paths = pkiPaths(dir);
  const server = options.server ?? "localhost:5000";
  const configPath = options.configPath === undefined ? join(dir, "jobctl.yaml") : options.configPath;
  if (options.clients.length === 0) throw new Error("at least one client is needed");
  if (new Set(options.clients.map((c) => c.name)).size !== options.clients.length) throw new Error("client names must be unique");
  const clientFiles = options.clients.map((c) => ({ ...c, ...clientPaths(dir, c.name) }));
  if (!force) {
    for (const existing of [paths.caPath, paths.caKeyPath, configPath || undefined]) {
      if (existing && existsSync(existing)) throw new AlreadyExistsError(`${existing} already exists`);
    }
  }

  // Everything is generated before anything is written, so a failure leaves no partial PKI.
  const ca = await createCa();
  const host = hostOf(server);
  const serverPair = await issueServerCert(ca, { dnsNames: [...(options.serverNames ?? []), ...(host ? [host] : [])] });
  const clientPairs = await Promise.all(options.clients.map((c) => issueClientCert(ca, c)));

  // ca.key first and, unless forced, exclusively: it claims the directory, so a
  // concurrent generator fails before writing anything. ca.crt last: it marks the set complete.
  await writeFileAtomic(paths.caKeyPath, ca.keyPem, { mode: PRIVATE_MODE, exclusive: !force });
  for (const [i, c] of clientFiles.entries()) await writePair(clientPairs[i]!, c.certPath, c.keyPath, false);
  await writePair(serverPair, paths.certPath, paths.keyPath, false);
  await writeFileAtomic(paths.caPath, ca.certPem, { mode: PUBLIC_MODE, exclusive: !force });

  const clients = Object.fromEntries(clientFiles.map((c) => [c.name, { role: c.role, certPath: c.certPath, keyPath: c.keyPath }]));
  if (configPath) {
    await writeJobctlConfig(configPath, { clusterName: options.clusterName, server, caPath: paths.caPath, clients: clientFiles });
  }
  return { ...paths, clients, configPath: configPath || undefined };
}

export interface IssueClientOptions extends ClientSpec {
  dir: string;
  /** A jobctl config to add the user and context to, if the file exists. */
  configPath?: string;
  validityDays?: number;
  /** Replace an existing certificate and key of that name. */
  force?: boolean;
}

/** Issues one more client certificate from the CA in `dir` (the "provisioning center"). */
export async function issueClient(options: IssueClientOptions): Promise<ClientFiles & { configPath?: string }> {
  const { dir, name, role } = options;
  const files = clientPaths(dir, name);
  if (!options.force && (existsSync(files.certPath) || existsSync(files.keyPath))) {
    throw new AlreadyExistsError(`${files.certPath} already exists`);
  }
  const { caPath, caKeyPath } = pkiPaths(dir);
  const pair = await issueClientCert(await loadCa(caPath, caKeyPath), { name, role, validityDays: options.validityDays });
  await writePair(pair, files.certPath, files.keyPath, !options.force);

  const updateConfig = options.configPath !== undefined && existsSync(options.configPath);
  if (updateConfig) {
    await addJobctlUser(options.configPath!, { name, ...files }).catch((e: Error) => {
      throw new Error(`wrote ${files.certPath} but could not add it to ${options.configPath}: ${e.message}`);
    });
  }
  return { role, ...files, configPath: updateConfig ? options.configPath : undefined };
}

export interface DevPkiOptions {
  dir: string;
  /** Where to write the jobctl config (only if no file is there); omitted: write none. */
  jobctlConfigPath?: string;
  /** The agent's address as jobctl should dial it. */
  server: string;
  serverNames?: string[];
}

export interface DevPki extends GeneratedPki {
  /** False when an existing PKI was reused. */
  created: boolean;
  /** False when a file already existed at jobctlConfigPath (it is never replaced). */
  wroteConfig: boolean;
}

/**
 * The agent's first-start PKI: reuses DIR if it holds a CA, else creates a CA,
 * a server certificate and the DEV_CLIENTS. Writes a jobctl config with one
 * context per client to jobctlConfigPath only if nothing is there yet.
 */
export async function ensureDevPki(options: DevPkiOptions): Promise<DevPki> {
  const { dir, server } = options;
  const paths = pkiPaths(dir);
  const created = !existsSync(paths.caPath);
  let clients: Record<string, ClientFiles>;
  if (created) {
    // No ca.crt means nothing usable was written before, so leftovers may be replaced.
    ({ clients } = await generatePki({ dir, server, serverNames: options.serverNames, clients: [...DEV_CLIENTS], configPath: false, force: true }));
  } else {
    if (!existsSync(paths.certPath) || !existsSync(paths.keyPath)) {
      const host = hostOf(server);
      const pair = await issueServerCert(await loadCa(paths.caPath, paths.caKeyPath), {
        dnsNames: [...(options.serverNames ?? []), ...(host ? [host] : [])],
      });
      await writePair(pair, paths.certPath, paths.keyPath, false);
    }
    clients = await existingClients(dir);
  }

  const wroteConfig = options.jobctlConfigPath !== undefined && (await writeDevJobctlConfig(options.jobctlConfigPath, server, paths.caPath, clients));
  return { ...paths, clients, configPath: wroteConfig ? options.jobctlConfigPath : undefined, created, wroteConfig };
}

/**
 * Writes a jobctl config with one context per client (current: admin) to
 * `path` unless a file is already there; true if it wrote one. Separate from
 * ensureDevPki so that an agent listening on port 0 can write it once bound.
 */
export async function writeDevJobctlConfig(path: string, server: string, caPath: string, clients: Record<string, ClientFiles>): Promise<boolean> {
  const names = Object.keys(clients);
  if (names.length === 0 || existsSync(path)) return false;
  try {
    await writeJobctlConfig(path, {
      server,
      caPath,
      clients: names.map((name) => ({ name, ...clients[name]! })),
      currentContext: names.includes("admin") ? "admin" : names[0],
      exclusive: true,
    });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e; // appeared meanwhile: keep it
    return false;
  }
}

/** Client certificates (with keys) already in DIR/clients, with the role each carries. */
async function existingClients(dir: string): Promise<Record<string, ClientFiles>> {
  const entries = await readdir(join(dir, "clients")).catch(() => [] as string[]);
  const clients: Record<string, ClientFiles> = {};
  for (const entry of entries.sort()) {
    const name = entry.slice(0, -".crt".length);
    if (!entry.endsWith(".crt") || !CLIENT_NAME.test(name)) continue;
    const files = clientPaths(dir, name);
    if (!existsSync(files.keyPath)) continue;
    let role: string | undefined;
    try {
      role = readCertificateRole(new X509Certificate(await readFile(files.certPath)).raw);
    } catch {
      continue; // not a certificate: not ours to list
    }
    if (role !== undefined) clients[name] = { role, ...files };
  }
  return clients;
}

async function writePair(pair: PemPair, certPath: string, keyPath: string, exclusive: boolean): Promise<void> {
  await writeFileAtomic(keyPath, pair.keyPem, { mode: PRIVATE_MODE, exclusive });
  await writeFileAtomic(certPath, pair.certPem, { mode: PUBLIC_MODE, exclusive });
}

/** The host part of host:port, [v6]:port or a bare host; undefined for wildcard addresses. */
export function hostOf(address: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  let host = bracketed ? bracketed[1]! : address;
  if (!bracketed && (address.match(/:/g) ?? []).length === 1) host = address.slice(0, address.indexOf(":"));
  return host === "" || host === "0.0.0.0" || host === "::" ? undefined : host;
}

// Client names become file names: no path separators, no leading dot.
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export function checkClientName(name: string): void {
  if (!CLIENT_NAME.test(name)) {
    throw new Error(`invalid client name "${name}" (letters, digits, ".", "_", "@", "-"; starting with a letter or digit)`);
  }
}
