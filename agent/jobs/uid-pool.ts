// A uid (and the gid of the same number) of its own for every job, so that
// the kernel keeps jobs apart: a job cannot signal, ptrace, or read the /proc
// entries and files of any other job, whoever owns it.
//
// The range is configured (default 70000-79999, see README "A uid per job"):
// above regular users (1000-60000), systemd's homed and dynamic users
// (60001-65519) and nobody (65534), below the /etc/subuid ranges that
// useradd hands out from 100000, and apart from Nomad's 80000-89999.
// A uid is in use from allocation until its job has ended and the monitor
// has killed what ran as it and removed its files; the monitor refuses a uid
// that NSS knows or that a process already runs as, and the pool then skips
// it for as long as the agent runs (quarantine). Allocation goes round the
// range, so a released uid is reused as late as possible.
import { readFile } from "node:fs/promises";
import { ResourceExhaustedError } from "../errors.js";

export interface UidRange {
  first: number;
  last: number;
}

export const DEFAULT_UID_RANGE: UidRange = Object.freeze({ first: 70000, last: 79999 });

export class UidPool {
  private readonly used = new Set<number>();
  private readonly quarantined = new Set<number>();
  private next: number;

  constructor(readonly range: UidRange) {
    this.next = range.first;
  }

  /**
   * A free uid, marked used; RESOURCE_EXHAUSTED when the range has none left.
   * `takenElsewhere` says which uids look taken by another agent's job: those
   * are skipped while others are free (a hint: the monitor's claim decides).
   */
  allocate(takenElsewhere?: (uid: number) => boolean): number {
    const size = this.range.last - this.range.first + 1;
    let fallback: number | undefined;
    for (let tried = 0; tried < size; tried++) {
      const uid = this.next;
      this.next = uid === this.range.last ? this.range.first : uid + 1;
      if (this.used.has(uid) || this.quarantined.has(uid)) continue;
      if (takenElsewhere?.(uid)) {
        fallback ??= uid;
        continue;
      }
      this.used.add(uid);
      return uid;
    }
    if (fallback !== undefined) {
      this.used.add(fallback);
      return fallback;
    }
    throw new ResourceExhaustedError(`no free job uid in ${this.range.first}-${this.range.last} (all in use or taken by other users)`);
  }

  /** A uid found in use by a job of an earlier agent. */
  markUsed(uid: number): void {
    if (this.contains(uid)) this.used.add(uid);
  }

  release(uid: number): void {
    this.used.delete(uid);
  }

  /** Someone else has this uid: never hand it out again in this run. */
  quarantine(uid: number): void {
    this.used.delete(uid);
    this.quarantined.add(uid);
  }

  contains(uid: number): boolean {
    return uid >= this.range.first && uid <= this.range.last;
  }
}

/** Parses "FIRST-LAST". */
export function parseUidRange(text: string): UidRange {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const range = m ? { first: Number(m[1]), last: Number(m[2]) } : undefined;
  if (!range || range.first < 1000 || range.last < range.first || range.last >= 2 ** 31) {
    throw new Error(`uid range "${text}" must be FIRST-LAST with 1000 <= FIRST <= LAST < 2^31`);
  }
  return range;
}

/**
 * Why the range cannot be used, or undefined: it must not overlap the
 * subordinate id ranges of /etc/subuid and /etc/subgid (user namespaces of
 * the host's users), nor hold nobody (65534).
 */
export async function uidRangeConflict(range: UidRange, files = ["/etc/subuid", "/etc/subgid"]): Promise<string | undefined> {
  if (range.first <= 65534 && 65534 <= range.last) return `job uid range ${range.first}-${range.last} contains nobody (65534)`;
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      const [owner, start, count] = line.split(":");
      const first = Number(start);
      const last = first + Number(count) - 1;
      if (!owner || !(Number(count) > 0)) continue;
      if (first <= range.last && range.first <= last) {
        return `job uid range ${range.first}-${range.last} overlaps ${owner}'s subordinate ids ${first}-${last} in ${file}`;
      }
    }
  }
  return undefined;
}
