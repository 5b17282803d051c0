// On-disk layout of the job state, one directory per job:
//
//   <stateDir>/jobs/<id>/job.json   the JobRecord, replaced atomically (write + rename)
//   <stateDir>/jobs/<id>/output     the combined output, written by the job's monitor
//   <stateDir>/jobs/<id>/monitor    who the monitor and the job are (monitor.ts)
//   <stateDir>/jobs/<id>/exit       how the job ended (monitor.ts)
//   <stateDir>/jobs/<id>/work/      the job's working directory, the only thing a job owns;
//                                   removed by the monitor when the job ends
//
// Everything but work/ belongs to the agent's user, mode 0600 (directories
// 0711: traversable, so that a job reaches its work/, not listable).
// Modes are set explicitly, whatever the agent's umask.
import { chmod, chown, mkdir, readdir, readFile, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { JobRecord } from "./record.js";
import { isJobId } from "./ids.js";
import { ResourceExhaustedError } from "../errors.js";
import { writeFileDurably } from "../../common/durable-file.js";
import { KeyedQueue } from "../../common/keyed-queue.js";

export class JobStore {
  readonly root: string;
  /** Per-job chain of pending saves, so that writes land in the order they were made. */
  private readonly pending = new KeyedQueue();

  constructor(stateDir: string) {
    this.root = join(stateDir, "jobs");
  }

  jobDir(id: string): string {
    return join(this.root, id);
  }
  outputPath(id: string): string {
    return join(this.root, id, "output");
  }
  workDir(id: string): string {
    return join(this.root, id, "work");
  }

  async init(): Promise<void> {
    // Traversable but not listable, so that a job's unprivileged user can reach its own work/.
    await mkdir(this.root, { recursive: true, mode: 0o711 });
    await chmod(this.root, 0o711);
  }

  /**
   * The job's directory; its work/ belongs to the user the job runs as. With
   * another user, the directory is the agent's with the job's group, 0710: the
   * job passes through to work/, other jobs cannot even look at its files' names.
   */
  async create(id: string, owner?: { uid: number; gid: number }): Promise<void> {
    try {
      await mkdir(this.jobDir(id), { mode: 0o700 });
      if (owner) await chown(this.jobDir(id), process.getuid?.() ?? 0, owner.gid);
      await chmod(this.jobDir(id), owner ? 0o710 : 0o711);
      await mkdir(this.workDir(id), { mode: 0o700 });
      await chmod(this.workDir(id), 0o700);
      if (owner) await chown(this.workDir(id), owner.uid, owner.gid);
    } catch (err) {
      throw diskFull(err) ?? err;
    }
  }

  save(record: JobRecord): Promise<void> {
    const snapshot = JSON.stringify(record, null, 1);
    return this.pending.run(record.id, () => this.write(record.id, snapshot));
  }

  /** Resolves once every save made so far has landed (or failed). */
  flush(): Promise<void> {
    return this.pending.settled();
  }

  /** Every readable record; unreadable ones are reported, not fatal. */
  async loadAll(onError: (id: string, err: unknown) => void): Promise<JobRecord[]> {
    const records: JobRecord[] = [];
    for (const id of await readdir(this.root)) {
      if (!isJobId(id)) continue;
      try {
        records.push(JSON.parse(await readFile(join(this.root, id, "job.json"), "utf8")) as JobRecord);
      } catch (err) {
        onError(id, err);
      }
    }
    return records;
  }

  /**
   * Removes a finished job's files. Never a recursive removal as root through
   * work/, which a job's user owned (a planted symlink swapped in mid-walk would
   * turn it against the agent's files): work/ must be gone already (the monitor
   * removes it, as the job's user); if it is not, this throws and leaves the job.
   */
  async remove(id: string): Promise<void> {
    await this.pending.last(id)?.catch(() => {});
    const dir = this.jobDir(id);
    await rmdir(this.workDir(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw new Error(`the working directory of job ${id} is not empty; not removing it as the agent`);
    });
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? [] : Promise.reject(err)));
    for (const name of names) await rm(join(dir, name), { force: true }); // root's own files only: no recursion
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }

  /** Never half-written: a failed write leaves the previous record in place (and no temporary file). */
  private async write(id: string, json: string): Promise<void> {
    try {
      await writeFileDurably(join(this.root, id, "job.json"), json, 0o600);
    } catch (err) {
      throw diskFull(err) ?? err;
    }
  }
}

/** ENOSPC and EDQUOT as RESOURCE_EXHAUSTED, with the reason; undefined for other errors. */
export function diskFull(err: unknown): ResourceExhaustedError | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== "ENOSPC" && code !== "EDQUOT") return undefined;
  return stateDirFull((err as Error).message);
}

/** RESOURCE_EXHAUSTED for a full state directory, whoever found it full (the agent, or a job's monitor). */
export function stateDirFull(detail: string): ResourceExhaustedError {
  return new ResourceExhaustedError(`the state directory is full: ${detail}`);
}
