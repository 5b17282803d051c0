// The environment a job starts with: minimal and documented (README, "Job
// environment"), so nothing of the agent's own environment (credentials,
// config paths) leaks into jobs.
export const JOB_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A run of a job spec also learns the spec's name and its run number (1, 2, ...). */
export function jobEnvironment(jobId: string, workDir: string, spec?: { name: string; run: number }): Record<string, string> {
  return {
    PATH: JOB_PATH,
    HOME: workDir,
    LANG: "C.UTF-8",
    JOBWORKER_JOB_ID: jobId,
    ...(spec && { JOBWORKER_SPEC: spec.name, JOBWORKER_SPEC_RUN: String(spec.run) }),
  };
}
