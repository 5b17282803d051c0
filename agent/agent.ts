// The agent: the job manager, served over gRPC with mutual TLS.
import { mkdir, readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { join } from "node:path";
import type { Logger } from "pino";
import { ensureDevPki, writeDevJobctlConfig, type DevPki } from "../certs/layout.js";
import { authservice, authserviceTypes, workerservice, workerserviceTypes } from "../proto/load.js";
import { strictService } from "./api/strict-service.js";
import { passPreEncoded } from "./api/pre-encoded.js";
import { sendFramesUncopied } from "./api/output-frames.js";
import { workerServiceHandlers } from "./api/grpc-adapter.js";
import { JobService } from "./api/job-service.js";
import { SpecService } from "./api/spec-service.js";
import { checkSpec } from "./api/spec-check.js";
import { resolveLimits } from "./api/limit-resolution.js";
import { startDeclarativeJobs } from "./specs/declarative-jobs.js";
import { defaultOwnerShare } from "./jobs/owner-share.js";
import { createGrpcServer } from "./api/grpc-server.js";
import { authServiceHandlers } from "./api/auth-adapter.js";
import { AuthService } from "./api/auth-service.js";
import { RpcContext } from "./api/rpc.js";
import { callerAuthenticator } from "./auth/caller.js";
import { TokenAuthority } from "./auth/tokens.js";
import { LoginService } from "./auth/login.js";
import { LoginThrottle } from "./auth/login-throttle.js";
import { HashQueue } from "./auth/hash-queue.js";
import { ensureDevUsers, loadOrCreateSigningKey, UserDirectory } from "./auth/users.js";
import { MutualTlsServerCredentials, type TlsMaterial } from "./api/tls.js";
import type { AgentSettings, TlsFiles } from "./config/settings.js";
import { JobManager, type JobUsers } from "./jobs/manager.js";
import { Placement } from "./jobs/placement.js";
import { checkJobsCanReach, resolveUser } from "./jobs/run-as.js";
import { parseUidRange, uidRangeConflict, UidPool } from "./jobs/uid-pool.js";
import { StateLock } from "./jobs/state-lock.js";
import { DEFAULT_UID_CLAIM_DIR, ensureClaimDir } from "./jobs/uid-claims.js";
import { setupDelegation, type CgroupSetup } from "./cgroups/delegation.js";
import { createAgentMetrics, type MetricsHooks } from "./metrics/agent-metrics.js";
import { startMetricsListener } from "./metrics/listener.js";

export interface RunningAgent {
  /** The bound gRPC port (useful when listening on port 0). */
  port: number;
  /** The bound metrics port, if the metrics listener is on. */
  metricsPort?: number;
  jobs: JobManager;
  /** Applies what can change live (roles, log level, TLS certificate and key); logs what needs a restart. */
  reload(next: AgentSettings): Promise<void>;
  /**
   * Stops taking RPCs and closes the servers. Running jobs keep running for the
   * next agent on this state directory, unless settings.stopJobsOnShutdown
   * (each is then stopped within the shutdown grace period).
   */
  close(): Promise<void>;
}

export async function startAgent(settings: AgentSettings, logger: Logger): Promise<RunningAgent> {
  const metrics = createAgentMetrics();
  // One agent per state directory, checked before anything (cgroups included) is touched.
  await mkdir(settings.stateDir, { recursive: true, mode: 0o700 });
  const lock = await StateLock.acquire(settings.stateDir);
  const cgroups = await resourceControl(settings, logger);
  const runAs = await jobUsers(settings, logger);
  const jobs = await JobManager.open({
    stateDir: settings.stateDir,
    lock,
    defaultGracePeriodMs: settings.jobs.defaultGracePeriodMs,
    outputCapBytes: settings.jobs.outputCapBytes,
    maxConcurrentJobs: settings.jobs.maxConcurrentJobs,
    maxConcurrentJobsPerOwner: settings.jobs.maxConcurrentJobsPerOwner,
    retention: settings.jobs.retention,
    placement: new Placement({
      cgroups,
      bestEffortLimits: settings.cgroup.bestEffortLimits,
      ioDevicePath: settings.cgroup.ioDevicePath,
      swap: settings.cgroup.swap,
      oomGroup: settings.cgroup.oomGroup,
      logger: logger.child({ component: "cgroups" }),
    }),
    users: runAs.users,
    metrics: metrics.hooks,
    logger: logger.child({ component: "jobs" }),
  });
  metrics.attach(jobs, { cgroupMode: cgroups.mode });
  const devPki = settings.tls ? undefined : await developmentPki(settings, logger);
  const tlsFiles = settings.tls ?? devPki!.files;
  const credentials = new MutualTlsServerCredentials(await readTls(tlsFiles, settings.cipherSuites), settings.connections.handshakeTimeoutMs);
  const service = new JobService(jobs, settings.roles, {
    defaultLimits: settings.jobs.defaultLimits,
    maxLimits: settings.jobs.maxLimits,
    allowRootJobs: settings.jobs.allowRootJobs,
    cgroupMode: cgroups.mode,
    cgroupReason: cgroups.mode === "unavailable" ? cgroups.reason : "",
    cgroupRoot: cgroups.mode === "v2" ? `/${cgroups.root}` : "",
    runAsUser: runAs.description,
  });

  const declarative = await startDeclarativeJobs({
    stateDir: settings.stateDir,
    manifestDir: settings.jobs.manifestDir,
    jobs,
    limitsFor: (requested) => resolveLimits(requested, settings.jobs.defaultLimits, settings.jobs.maxLimits),
    check: (spec) => checkSpec(spec, settings),
    restarted: (name) => metrics.hooks.specRestarted(name),
    logger,
  });
  metrics.attachSpecs(() => declarative.reconciler.list());
  const specService = new SpecService(declarative.reconciler, () => jobs.list(), settings.roles, {
    maxSpecs: settings.jobs.maxConcurrentJobs,
    maxSpecsPerOwner: settings.jobs.maxConcurrentJobsPerOwner ?? defaultOwnerShare(settings.jobs.maxConcurrentJobs),
  });

  const { users, tokens } = await authentication(settings, logger);
  const throttle = new LoginThrottle(settings.auth.loginThrottle);
  const hashing = new HashQueue(settings.auth.hashing);
  const login = new LoginService(users, tokens, throttle, hashing, loginEvents(metrics.hooks, logger.child({ component: "login" })));
  const rpc = new RpcContext(logger.child({ component: "grpc" }), metrics.hooks, callerAuthenticator(tokens, users));
  const server = createGrpcServer({ metrics: metrics.hooks, logger: logger.child({ component: "connections" }), connections: settings.connections });
  const rejected = (method: string, reason: string) => rpc.refused(method, reason);
  if (!sendFramesUncopied()) logger.warn("@grpc/grpc-js has no BaseServerInterceptingCall.serializeMessage any more: GetOutput copies each message once more");
  const workerDefinition = passPreEncoded(workerservice().WorkerService.service);
  server.addService(...strictService(workerDefinition, workerServiceHandlers(service, specService, rpc, metrics.hooks), workerserviceTypes(), rejected));
  server.addService(...strictService(authservice().AuthService.service, authServiceHandlers(new AuthService(login), rpc), authserviceTypes(), rejected));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(settings.listen, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  if (devPki) await writeJobctlConfigFor(devPki.pki, settings, port, logger);
  logger.info({ listen: settings.listen, port, stateDir: settings.stateDir }, "agent listening");

  let ready = true;
  const metricsServer = settings.metrics.listen ? await startMetricsListener(settings, metrics.registry, () => ready, logger) : undefined;

  let current = settings;
  return {
    port,
    metricsPort: metricsServer?.port,
    jobs,
    async reload(next) {
      // Read first: a bad token file rejects the whole reload, with nothing changed yet.
      const metricsToken = await metricsServer?.readToken(next.metrics);
      if (next.tls) {
        const material = await readTls(next.tls, next.cipherSuites);
        createSecureContext({ cert: material.cert, key: material.key, ca: material.ca }); // throws on a bad pair: keep the old one
        credentials.rotate(material);
      }
      service.setRoles(next.roles);
      specService.setRoles(next.roles);
      // Development users stay only while nothing else is configured.
      // Trust (see login-throttle.ts) was earned with the old entry: it ends for users whose entry changed or went.
      if (next.auth.users.length > 0 || next.tls) throttle.forget(users.set(next.auth.users));
      tokens.setTtl(next.auth.tokenTtlMs);
      throttle.setLimits(next.auth.loginThrottle);
      hashing.setBounds(next.auth.hashing);
      logger.level = next.logLevel;
      metricsServer?.setToken(metricsToken, next.metrics);
      const needRestart = restartOnlySettings(current, next);
      current = { ...current, roles: next.roles, logLevel: next.logLevel, tls: next.tls ?? current.tls, cipherSuites: next.cipherSuites, auth: next.auth, metrics: { ...current.metrics, bearerTokenFile: next.metrics.bearerTokenFile } };
      logger.info({ roles: Object.keys(next.roles), logLevel: next.logLevel, tlsRotated: Boolean(next.tls), needRestart }, "configuration reloaded");
    },
    async close() {
      ready = false;
      await declarative.close(); // no restarts of what the shutdown stops, and the specs' states on disk
      const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      if (settings.stopJobsOnShutdown) await jobs.shutdown(settings.shutdownGracePeriodMs);
      else await jobs.close();
      // Streams end once their jobs have; give them a moment, then cut what is left.
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
      await Promise.race([drained, timeout]);
      server.forceShutdown();
      await metricsServer?.close();
    },
  };
}

/**
 * Seed 003's login: the configured users, or in development mode (no TLS
 * files) two generated ones whose passwords are printed once; and the token
 * signing key from the state directory (created on first start) or the config.
 */
async function authentication(settings: AgentSettings, logger: Logger): Promise<{ users: UserDirectory; tokens: TokenAuthority }> {
  const key = await loadOrCreateSigningKey(settings.auth.signingKeyFile ?? join(settings.stateDir, "auth", "jwt.key"));
  let entries = settings.auth.users;
  if (entries.length === 0 && !settings.tls) {
    const dev = await ensureDevUsers(settings.stateDir);
    entries = dev.users;
    // The one time these passwords exist in clear: on creation, for the operator to note.
    if (dev.created) logger.warn({ users: dev.created }, "development users created");
  }
  return { users: new UserDirectory(entries), tokens: new TokenAuthority(key, settings.auth.tokenTtlMs) };
}

/**
 * Every refusal is counted; the log gets one line when a user or client
 * becomes throttled (not one per refused attempt: a flood must not flood the
 * log too; each RPC's own line still says RESOURCE_EXHAUSTED), and at most one
 * a second while the hashing queue is full.
 */
function loginEvents(metrics: MetricsHooks, logger: Logger) {
  let queueFullLogged = 0;
  let queueFullSince = 0;
  return {
    refused(reason: "user" | "pair" | "client" | "queue" | "clientQueue") {
      metrics.loginThrottled(reason);
      if (reason !== "queue") return;
      queueFullSince++;
      const now = Date.now();
      if (now - queueFullLogged < 1000) return;
      logger.warn({ refused: queueFullSince }, "login refused: too many logins hashing (auth.hashing)");
      queueFullLogged = now;
      queueFullSince = 0;
    },
    throttled(refusal: { reason: string; retryAfterMs: number }, client: string, username: string) {
      logger.warn({ throttled: refusal.reason, client, username, retryAfterMs: refusal.retryAfterMs }, "login throttled: too many failed logins (auth.loginThrottle)");
    },
    passwordChecked: () => metrics.loginPasswordChecked(),
  };
}

/** Settings that changed but only take effect after a restart (listen address, state directory, job and cgroup settings...). */
function restartOnlySettings(before: AgentSettings, after: AgentSettings): string[] {
  const live = new Set(["roles", "logLevel", "tls", "cipherSuites", "auth"]);
  // Of the metrics settings only the bearer token file is live.
  const comparable = (s: AgentSettings) => ({ ...s, metrics: { ...s.metrics, bearerTokenFile: undefined } });
  const [b, a] = [comparable(before), comparable(after)];
  return (Object.keys(a) as (keyof AgentSettings)[]).filter((key) => !live.has(key) && JSON.stringify(b[key]) !== JSON.stringify(a[key]));
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

/**
 * As root, each job runs as a uid of its own from the configured range (or,
 * if so configured, all as one unprivileged user); otherwise as the agent's own user.
 */
async function jobUsers(settings: AgentSettings, logger: Logger): Promise<{ users: JobUsers; description: string }> {
  if (process.getuid?.() !== 0) {
    logger.warn(
      "the agent is not root: jobs run as its own user and can read everything it owns (other jobs' output, the token key, the development CA key); run it as root to keep jobs apart from the agent and from each other",
    );
    return { users: { kind: "agent" }, description: `the agent's own user (${process.getuid?.()}:${process.getgid?.()})` };
  }
  await checkJobsCanReach(settings.stateDir);
  if (settings.jobs.runAsUser !== undefined) {
    const user = await resolveUser(settings.jobs.runAsUser);
    logger.warn({ user: user.name, uid: user.uid, gid: user.gid }, "every job runs as one shared user: jobs are kept from the agent, not from each other");
    return { users: { kind: "fixed", uid: user.uid, gid: user.gid }, description: `${user.name} (${user.uid}:${user.gid})` };
  }
  const range = parseUidRange(settings.jobs.uidRange);
  const conflict = await uidRangeConflict(range);
  if (conflict) throw new Error(`${conflict}: choose another jobs.uidRange`);
  logger.info({ uidRange: settings.jobs.uidRange }, "each job runs as a uid of its own");
  // Claims shared by every agent on the host: each job's monitor holds its uid there, so agents never hand out the same one.
  await ensureClaimDir(DEFAULT_UID_CLAIM_DIR);
  return { users: { kind: "perJob", pool: new UidPool(range), claimDir: DEFAULT_UID_CLAIM_DIR }, description: `a uid of its own per job (${range.first}-${range.last})` };
}

async function readTls(files: TlsFiles, cipherSuites: string): Promise<TlsMaterial> {
  const [ca, cert, key] = await Promise.all([readFile(files.caFile), readFile(files.certFile), readFile(files.keyFile)]);
  return { ca, cert, key, cipherSuites };
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
