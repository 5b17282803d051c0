// One page of List: the jobs after the page token's position, in List's order,
// at most pageSize of them (0: no count limit) and at most budgetBytes encoded,
// so that a page stays under gRPC's default 4 MiB receive limit although each
// job may carry 256 KiB of argv (common/request-limits.ts). A page holds at
// least one job whatever its size (one job is far under 4 MiB), so paging
// always moves on. There is no separate maximum pageSize: the byte budget
// bounds every page, so a large pageSize is in effect clamped by it.
import type { JobRecord } from "../jobs/record.js";
import { compareCursors, decodeCursor, encodeCursor } from "./page-token.js";

/** Jobs' bytes per page: half the default receive limit, leaving room for the token and any later fields. */
export const LIST_PAGE_BUDGET_BYTES = 2 * 1024 * 1024;

/** Entry: one job as the page holds it (the agent: its encoded QueryStatusResponse). */
export interface PageOptions<Entry> {
  pageSize: number;
  pageToken: string;
  budgetBytes: number;
  toEntry: (record: JobRecord) => Entry;
  /** What one job adds to the encoded ListResponse (its field tag, length and message). */
  encodedSize: (entry: Entry) => number;
}

export interface Page<Entry> {
  jobs: Entry[];
  nextPageToken: string;
}

/** `records` are the jobs the caller may see, in any order. */
export function listPage<Entry>(records: JobRecord[], options: PageOptions<Entry>): Page<Entry> {
  const after = decodeCursor(options.pageToken);
  const ordered = records.filter((r) => !after || compareCursors(r, after) > 0).sort(compareCursors);
  const jobs: Entry[] = [];
  let bytes = 0;
  let next = 0;
  for (; next < ordered.length; next++) {
    if (options.pageSize > 0 && jobs.length >= options.pageSize) break;
    const entry = options.toEntry(ordered[next]);
    const size = options.encodedSize(entry);
    if (jobs.length > 0 && bytes + size > options.budgetBytes) break;
    jobs.push(entry);
    bytes += size;
  }
  const more = next < ordered.length;
  return { jobs, nextPageToken: more ? encodeCursor(ordered[next - 1]) : "" };
}
