// Installing jobworker on the systemd VM the way deploy/jobagent.service's
// steps say, and asking systemd about it. Runs as root inside `run.sh --systemd`.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { generatePki } from "../../certs/layout.js";

export const REPO = fileURLToPath(new URL("../../..", import.meta.url)).replace(/\/$/, "");
export const PKI = "/etc/jobworker/pki";
export const CONFIG = "/etc/jobworker/agent.yaml";
export const STATE = "/var/lib/jobworker";
export const JOBS_CGROUP = "system.slice/jobworker-jobs.service";
export const METRICS_TOKEN = "/etc/jobworker/metrics.token";
const EXAMPLE_CONFIG = join(REPO, "config/agent.example.yaml");

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

/**
 * config/agent.example.yaml as README's step 3 says to install it, changed only
 * where the reload test changes it: readonly may not start jobs until
 * `readonlyMayStart`. Everything else is the example's, paths and ports
 * included (the VM's 5000 and 9464 are free), so metrics are on 127.0.0.1:9464
 * with the bearer token.
 */
export function agentConfig(readonlyMayStart = false): string {
  const config = parse(readFileSync(EXAMPLE_CONFIG, "utf8")) as { rbac: { roles: Record<string, { operations: string[] }> } };
  const readonly = config.rbac.roles.readonly;
  if (readonlyMayStart && !readonly.operations.includes("start")) readonly.operations = ["start", ...readonly.operations];
  return stringify(config);
}

/** The example's gRPC port and metrics address (asserted against the file, so a changed example changes the test). */
export function exampleAddresses(): { port: number; metrics: string } {
  const config = parse(readFileSync(EXAMPLE_CONFIG, "utf8")) as { listen: string; metrics: { listen: string } };
  return { port: Number(config.listen.split(":").pop()), metrics: config.metrics.listen };
}

/**
 * README's steps: the package at /opt/jobworker (here a symlink to the checkout,
 * built on the host), a PKI in /etc/jobworker/pki, /etc/jobworker/agent.yaml,
 * both units in /etc/systemd/system, daemon-reload. Returns the agent's port.
 */
export async function install(): Promise<number> {
  await installPackageAndPki();
  // Step 3: the metrics token before the first start (the agent refuses to start without it), the job spec directory.
  await must("sh", ["-c", `install -m 600 /dev/null ${METRICS_TOKEN} && head -c 32 /dev/urandom | base64 > ${METRICS_TOKEN}`]);
  mkdirSync("/etc/jobworker/jobs.d", { recursive: true, mode: 0o755 });
  // Measured with the state directory on the VM's root (an overlay over 9p): GetOutput of a
  // running job stayed empty for 300 s while its output file held "one\n" (likely the agent's
  // inotify never hears of the monitor's writes through overlayfs; not investigated further).
  // A host's state directory is on a real file system; give the VM's one too: a directory on the
  // VM's disk (ext4 on virtio-blk), bound at /var/lib/jobworker. A disk, not tmpfs: the example's
  // jobs.maxLimits.ioWriteBps gives every job an io.max on the disk behind its work directory, and
  // on tmpfs (no block device) every Start fails FAILED_PRECONDITION.
  const disk = process.env.JOBWORKER_VM_DISK;
  if (!disk) throw new Error("JOBWORKER_VM_DISK is unset: run under test/vm/run.sh --systemd");
  mkdirSync(join(disk, "jobworker-state"), { mode: 0o711 });
  mkdirSync(STATE, { recursive: true });
  await must("mount", ["--bind", join(disk, "jobworker-state"), STATE]);
  writeFileSync(CONFIG, agentConfig(), { mode: 0o600 });
  await must("node", [join(REPO, "dist/agent/main.js"), "--config", CONFIG, "--validate"]);
  for (const unit of ["jobagent.service", "jobworker-jobs.service"]) copyFileSync(join(REPO, "deploy", unit), join("/etc/systemd/system", unit));
  // And for the VM, a drop-in: node starts 10-15x slower under TCG (more on a loaded host) than
  // the unit's TimeoutStartSec=120 assumes.
  mkdirSync("/etc/systemd/system/jobagent.service.d", { recursive: true });
  writeFileSync("/etc/systemd/system/jobagent.service.d/vm-slow-start.conf", "[Service]\nTimeoutStartSec=600\n");
  await must("systemctl", ["daemon-reload"]);
  return exampleAddresses().port;
}

/**
 * The smallest AgentConfig for a unit of the one-unit layout (oneUnitLayout):
 * its own port, state directory and uid range, so that it runs beside the
 * installed agent; the installed PKI; no metrics.
 */
export function oneUnitConfig(port: number, stateDir: string, uidRange: string): string {
  return `apiVersion: jobworker/v1
kind: AgentConfig
listen: 127.0.0.1:${port}
stateDir: ${stateDir}
metrics:
  listen: ""
tls:
  caFile: ${PKI}/ca.crt
  certFile: ${PKI}/server.crt
  keyFile: ${PKI}/server.key
jobs:
  uidRange: ${uidRange}
`;
}

/**
 * The one-unit layout before jobworker-jobs.service (deploy/jobagent.service at
 * 37fcc55): agent and jobs in one delegated cgroup, KillMode=process. Type=notify
 * (that unit had Type=simple) so that `systemctl start` returns once the agent serves.
 */
export function oneUnitLayout(config: string): string {
  return `[Unit]
Description=jobagent with its jobs in its own delegated cgroup (the layout before jobworker-jobs.service)
[Service]
Type=notify
NotifyAccess=main
ExecStart=/usr/bin/node /opt/jobworker/dist/agent/main.js --config ${config}
Delegate=yes
KillMode=process
# node under TCG starts slowly (see install())
TimeoutStartSec=600
`;
}
