// Every job the caller may see, page after page of List (the agent bounds a
// page to about 2 MiB, under gRPC's 4 MiB receive limit). The pages follow
// one another by position, so jobs started meanwhile may appear and jobs
// removed meanwhile do not, and none comes twice.
import type { QueryStatusResponse__Output } from "../proto/generated/workerservice/QueryStatusResponse.js";
import type { WorkerApi } from "./client.js";

export async function listAllJobs(api: WorkerApi): Promise<QueryStatusResponse__Output[]> {
  const jobs: QueryStatusResponse__Output[] = [];
  let pageToken = "";
  do {
    const page = await api.list({ pageToken });
    // An agent answering with the token it was sent would never end: say so instead of looping.
    if (page.nextPageToken !== "" && page.nextPageToken === pageToken) throw new Error(`${api.server}: List returned the same page token twice`);
    jobs.push(...page.jobs);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return jobs;
}
