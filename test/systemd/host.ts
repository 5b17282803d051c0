// Installing jobworker on the systemd VM the way deploy/jobagent.service's
// steps say, and asking systemd about it. Runs as root inside `run.sh --systemd`.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatePki } from "../../certs/layout.js";

export const REPO = fileURLToPath(new URL("../../..", import.meta.url)).replace(/\/$/, "");
export const PKI = "/etc/jobworker/pki";
export const CONFIG = "/etc/jobworker/agent.yaml";
export const STATE = "/var/lib/jobworker";
export const JOBS_CGROUP = "system.slice/jobworker-jobs.service";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never rejects on a non-zero exit (the caller asserts the code). */
export function run(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; rejects with its stderr otherwise. */
export async function must(command: string, args: string[]): Promise<string> {
  const result = await run(command, args);
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** One property of a unit, as `systemctl show -P` prints it. */
export async function unitProperty(unit: string, property: string): Promise<string> {
  return (await must("systemctl", ["show", "-P", property, unit])).trim();
}

/** A port free on 127.0.0.1 right now (bound on 0, read back, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** /opt/jobworker (a symlink to the checkout, built on the host) and a PKI in /etc/jobworker/pki, once. */
export async function installPackageAndPki(): Promise<void> {
  if (!existsSync("/opt/jobworker")) {
    mkdirSync("/opt", { recursive: true });
    symlinkSync(REPO, "/opt/jobworker");
  }
  mkdirSync("/etc/jobworker", { recursive: true, mode: 0o755 });
  if (existsSync(join(PKI, "ca.crt"))) return;
  await generatePki({
    dir: PKI, serverNames: ["localhost"], configPath: false,
    clients: [{ name: "admin", role: "admin" }, { name: "alice", role: "user" }, { name: "viewer", role: "readonly" }],
  });
}

/** The role table the reload test changes: readonly may not start jobs until `readonlyMayStart`. */
export function agentConfig(port: number, readonlyMayStart = false): string {
  const readonlyOps = readonlyMayStart ? "[start, status, list, output, info]" : "[status, list, output, info]";
  return `apiVersion: jobworker/v1
kind: AgentConfig
listen: 127.0.0.1:${port}
stateDir: ${STATE}
metrics:
  listen: ""
tls:
  caFile: ${PKI}/ca.crt
  certFile: ${PKI}/server.crt
  keyFile: ${PKI}/server.key
rbac:
  roles:
    admin:    {operations: [start, stop, status, list, output, info, startAsRoot], scope: all}
    user:     {operations: [start, stop, status, list, output, info], scope: own}
    readonly: {operations: ${readonlyOps}, scope: all}
cgroup:
  root: ${JOBS_CGROUP}
`;
}

/**
 * README's steps: the package at /opt/jobworker (here a symlink to the checkout,
 * built on the host), a PKI in /etc/jobworker/pki, /etc/jobworker/agent.yaml,
 * both units in /etc/systemd/system, daemon-reload. Returns the agent's port.
 */
export async function install(): Promise<number> {
  await installPackageAndPki();
  // Measured with the state directory on the VM's root (an overlay over 9p): GetOutput of a
  // running job stayed empty for 300 s while its output file held "one\n" (likely the agent's
  // inotify never hears of the monitor's writes through overlayfs; not investigated further).
  // A host's state directory is on a real file system; give the VM's one too (tmpfs).
  mkdirSync(STATE, { recursive: true });
  await must("mount", ["-t", "tmpfs", "-o", "mode=0711", "jobworker-state", STATE]);
  const port = await freePort();
  writeFileSync(CONFIG, agentConfig(port), { mode: 0o600 });
  await must("node", [join(REPO, "dist/agent/main.js"), "--config", CONFIG, "--validate"]);
  for (const unit of ["jobagent.service", "jobworker-jobs.service"]) copyFileSync(join(REPO, "deploy", unit), join("/etc/systemd/system", unit));
  // The one change for the VM: node starts 10-15x slower under TCG (more on a loaded host) than
  // the 90 s default start timeout assumes.
  mkdirSync("/etc/systemd/system/jobagent.service.d", { recursive: true });
  writeFileSync("/etc/systemd/system/jobagent.service.d/vm-slow-start.conf", "[Service]\nTimeoutStartSec=600\n");
  await must("systemctl", ["daemon-reload"]);
  return port;
}
