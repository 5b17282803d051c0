// The environment a job starts with: minimal and documented (README, "Job
// environment"), so nothing of the agent's own environment (credentials,
// config paths) leaks into jobs.
export const JOB_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function jobEnvironment(jobId: string, workDir: string): Record<string, string> {
  return {
    PATH: JOB_PATH,
    HOME: workDir,
    LANG: "C.UTF-8",
    JOBWORKER_JOB_ID: jobId,
  };
}
