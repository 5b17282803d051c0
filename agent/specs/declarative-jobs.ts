// Declarative jobs, wired: the spec store, the reconciler over the job
// manager, and the manifest directory if one is configured. The agent starts
// this once its jobs are recovered, so each spec adopts its running job.
import type { Logger } from "pino";
import type { JobManager } from "../jobs/manager.js";
import type { ResourceLimits } from "../jobs/record.js";
import type { JobSpec } from "./spec.js";
import { ManifestDir } from "./manifest-dir.js";
import { Reconciler } from "./reconciler.js";
import { SpecStore } from "./spec-store.js";

export interface DeclarativeJobsOptions {
  stateDir: string;
  manifestDir?: string;
  jobs: JobManager;
  limitsFor(requested: ResourceLimits): ResourceLimits;
  check(spec: JobSpec): void;
  restarted(name: string): void;
  logger: Logger;
}

export interface DeclarativeJobs {
  reconciler: Reconciler;
  /** No more starts or restarts, no more watching; the jobs run on. Resolves once the specs' saves have landed. */
  close(): Promise<void>;
}

export async function startDeclarativeJobs(options: DeclarativeJobsOptions): Promise<DeclarativeJobs> {
  const store = new SpecStore(options.stateDir);
  const logger = options.logger.child({ component: "specs" });
  const reconciler = await Reconciler.open({
    ctx: { jobs: options.jobs, limitsFor: options.limitsFor, check: options.check, save: (state) => store.save(state), restarted: options.restarted, logger },
    store,
    jobs: () => options.jobs.list(),
    logger,
  });
  const manifests = options.manifestDir ? new ManifestDir(options.manifestDir, (scan) => reconciler.syncFiles(scan), logger) : undefined;
  // Without a directory, file specs an earlier configuration had are gone: their runs stop.
  if (manifests) await manifests.start();
  else await reconciler.syncFiles(new Map());
  return {
    reconciler,
    async close() {
      await manifests?.close();
      await reconciler.close();
    },
  };
}
