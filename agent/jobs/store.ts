// On-disk layout of the job state, one directory per job:
//
//   <stateDir>/jobs/<id>/job.json   the JobRecord, replaced atomically (write + rename)
//   <stateDir>/jobs/<id>/output     the combined output spool
//   <stateDir>/jobs/<id>/work/      the job's working directory
import { chmod, chown, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JobRecord } from "./record.js";
import { isJobId } from "./ids.js";

export class JobStore {
  readonly root: string;
  /** Per-job chain of pending saves, so that writes land in the order they were made. */
  private pending = new Map<string, Promise<void>>();

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

  /** The job's directory; its work/ belongs to the user the job runs as. */
  async create(id: string, owner?: { uid: number; gid: number }): Promise<void> {
    await mkdir(this.jobDir(id), { mode: 0o711 });
    await mkdir(this.workDir(id), { mode: 0o700 });
    if (owner) await chown(this.workDir(id), owner.uid, owner.gid);
  }

  save(record: JobRecord): Promise<void> {
    const snapshot = JSON.stringify(record, null, 1);
    const previous = this.pending.get(record.id) ?? Promise.resolve();
    // A failed earlier save must not stop this one; and the bookkeeping promise
    // must not carry the rejection (the caller handles it; an unhandled copy would crash the agent).
    const next = previous.catch(() => {}).then(() => this.write(record.id, snapshot));
    this.pending.set(record.id, next);
    const forget = () => {
      if (this.pending.get(record.id) === next) this.pending.delete(record.id);
    };
    next.then(forget, forget);
    return next;
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

  async remove(id: string): Promise<void> {
    await this.pending.get(id)?.catch(() => {});
    await rm(this.jobDir(id), { recursive: true, force: true });
  }

  private async write(id: string, json: string): Promise<void> {
    const path = join(this.root, id, "job.json");
    await writeFile(`${path}.tmp`, json, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  }
}
