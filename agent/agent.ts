// The agent: the job manager, served over gRPC with mutual TLS.
import * as grpc from "@grpc/grpc-js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { ensureDevPki, writeDevJobctlConfig, type DevPki } from "../certs/layout.js";
import { workerservice } from "../proto/load.js";
import { BUILTIN_ROLES } from "./auth/rbac.js";
import { workerServiceHandlers } from "./api/grpc-adapter.js";
import { JobService } from "./api/job-service.js";
import { REQUEST_LIMITS } from "./api/limits.js";
import { MutualTlsServerCredentials, type TlsMaterial } from "./api/tls.js";
import type { AgentSettings, TlsFiles } from "./config/settings.js";
import { JobManager } from "./jobs/manager.js";
import { Placement } from "./jobs/placement.js";
import { resolveUser, type Credentials } from "./jobs/run-as.js";
import { setupDelegation, type CgroupSetup } from "./cgroups/delegation.js";

export interface RunningAgent {
  /** The bound port (useful when listening on port 0). */
  port: number;
  jobs: JobManager;
  /** Stops taking RPCs, stops running jobs (each within the shutdown grace period), closes the server. */
  close(): Promise<void>;
}

export async function startAgent(settings: AgentSettings, logger: Logger): Promise<RunningAgent> {
  const cgroups = await resourceControl(settings, logger);
  const runAs = await jobCredentials(settings, logger);
  const jobs = await JobManager.open({
    stateDir: settings.stateDir,
    defaultGracePeriodMs: settings.jobs.defaultGracePeriodMs,
    outputCapBytes: settings.jobs.outputCapBytes,
    maxConcurrentJobs: settings.jobs.maxConcurrentJobs,
    retention: settings.jobs.retention,
    placement: new Placement({ cgroups, ...settings.cgroup, logger: logger.child({ component: "cgroups" }) }),
    runAs,
    logger: logger.child({ component: "jobs" }),
  });
  const devPki = settings.tls ? undefined : await developmentPki(settings, logger);
  const tlsFiles = settings.tls ?? devPki!.files;
  const credentials = new MutualTlsServerCredentials({ ...(await readTls(tlsFiles)), cipherSuites: settings.cipherSuites });
  const service = new JobService(jobs, BUILTIN_ROLES, {
    defaultLimits: settings.jobs.defaultLimits,
    maxLimits: settings.jobs.maxLimits,
    allowRootJobs: settings.jobs.allowRootJobs,
    cgroupMode: cgroups.mode,
    cgroupReason: cgroups.mode === "unavailable" ? cgroups.reason : "",
    cgroupRoot: cgroups.mode === "v2" ? `/${cgroups.root}` : "",
    runAsUser: runAs ? `${runAs.name} (${runAs.uid}:${runAs.gid})` : `the agent's own user (${process.getuid?.()}:${process.getgid?.()})`,
  });

  const server = new grpc.Server({
    "grpc.max_receive_message_length": REQUEST_LIMITS.maxMessageBytes,
  });
  server.addService(workerservice().WorkerService.service, workerServiceHandlers(service, logger.child({ component: "grpc" })));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(settings.listen, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  if (devPki) await writeJobctlConfigFor(devPki.pki, settings, port, logger);
  logger.info({ listen: settings.listen, port, stateDir: settings.stateDir }, "agent listening");

  return {
    port,
    jobs,
    async close() {
      const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await jobs.shutdown(settings.shutdownGracePeriodMs);
      // Streams end once their jobs have; give them a moment, then cut what is left.
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
      await Promise.race([drained, timeout]);
      server.forceShutdown();
    },
  };
}

/** The delegated cgroup v2 subtree, or why there is none (one specific warning). */
async function resourceControl(settings: AgentSettings, logger: Logger): Promise<CgroupSetup> {
  const setup: CgroupSetup =
    settings.cgroup.mode === "off"
      ? { mode: "unavailable", reason: "cgroup resource control is turned off in the agent configuration" }
      : await setupDelegation({ mountPoint: settings.cgroup.mountPoint, root: settings.cgroup.root });
  if (setup.mode === "unavailable") {
    logger.warn({ reason: setup.reason, bestEffortLimits: settings.cgroup.bestEffortLimits }, "cgroup v2 resource control unavailable: jobs run without limits");
  } else {
    logger.info({ cgroupRoot: `/${setup.root}`, jobs: `/${setup.jobsParent}` }, "cgroup v2 resource control enabled");
  }
  return setup;
}

/** As root, jobs run as the configured unprivileged user; otherwise as the agent's own user. */
async function jobCredentials(settings: AgentSettings, logger: Logger): Promise<Credentials | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const credentials = await resolveUser(settings.jobs.runAsUser);
  logger.info({ user: credentials.name, uid: credentials.uid, gid: credentials.gid }, "jobs run as an unprivileged user");
  return credentials;
}

async function readTls(files: TlsFiles): Promise<TlsMaterial> {
  const [ca, cert, key] = await Promise.all([readFile(files.caFile), readFile(files.certFile), readFile(files.keyFile)]);
  return { ca, cert, key };
}

/** No TLS files configured: use (creating it on first start) a development PKI under the state directory. */
async function developmentPki(settings: AgentSettings, logger: Logger): Promise<{ pki: DevPki; files: TlsFiles }> {
  const dir = join(settings.stateDir, "pki");
  const pki = await ensureDevPki({ dir, server: settings.listen });
  logger.warn({ pki: dir, created: pki.created }, "no TLS files configured: using the development PKI (not for production)");
  return { pki, files: { caFile: pki.caPath, certFile: pki.certPath, keyFile: pki.keyPath } };
}

/** The development PKI's jobctl config, with the port actually bound (listening on port 0 picks one). */
async function writeJobctlConfigFor(pki: DevPki, settings: AgentSettings, port: number, logger: Logger): Promise<void> {
  const host = settings.listen.slice(0, settings.listen.lastIndexOf(":"));
  const dialHost = host === "" || host === "0.0.0.0" || host === "[::]" ? "localhost" : host;
  const server = `${dialHost}:${port}`;
  if (await writeDevJobctlConfig(settings.jobctlConfigPath, server, pki.caPath, pki.clients)) {
    logger.info({ jobctlConfig: settings.jobctlConfigPath, server, contexts: Object.keys(pki.clients) }, "wrote a jobctl config for the development PKI");
  }
}
