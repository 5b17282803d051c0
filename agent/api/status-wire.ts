// QueryStatusResponse and ListResponse in wire form, with protobufjs's own
// encoders, for List: each job is encoded once, its size decides whether it
// fits the page, and the page is put together from those bytes. The bytes are
// the same as the stock serializer's (test/agent/api/status-wire.test.ts).
//
// Measured (1,000 running jobs, loaded 2-core machine, median of 50): the page
// built by serializing each job on its own to size it, then the whole page
// again, through proto-loader (fromObject, then encode): 19-26 ms; this: 7-8.5 ms.
import protobuf from "protobufjs";
import type { QueryStatusResponse } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import { workerservice, workerserviceTypes } from "../../proto/load.js";

interface StatusTypes {
  status: protobuf.Type;
  jobStatusNumber: Record<string, number>;
}

let types: StatusTypes | undefined;

function statusTypes(): StatusTypes {
  if (!types) {
    const root = workerserviceTypes();
    types = { status: root.lookupType("workerservice.QueryStatusResponse"), jobStatusNumber: root.lookupEnum("workerservice.JobStatus").values };
  }
  return types;
}

/**
 * One job's status as QueryStatusResponse bytes. Straight to encode, without
 * fromObject: the object is already in the types encode takes (numbers for
 * 64-bit fields, nested objects), but for the enum, given by name. A record
 * that does not fit those types (a hand-edited job.json: a null argument, a
 * number past 2^64) goes through the stock serializer, which coerces it as
 * QueryStatus does, so that one odd record neither fails List nor reads
 * differently there.
 */
export function encodeStatus(status: QueryStatusResponse): Buffer {
  const { status: type, jobStatusNumber } = statusTypes();
  const name = status.JobStatus;
  const fits = typeof name === "string" && Object.hasOwn(jobStatusNumber, name) && (status.arguments ?? []).every((a) => typeof a === "string") && safeNumbers(status);
  if (!fits) return stockSerialize(status);
  return type.encode({ ...status, JobStatus: jobStatusNumber[name] }).finish() as Buffer;
}

function stockSerialize(status: QueryStatusResponse): Buffer {
  return workerservice().WorkerService.service.QueryStatus.responseSerialize(status);
}

/** Every number in the message (nested ones too) one that encode writes as fromObject would: finite, and an integer within 2^53 where it is one. */
function safeNumbers(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value));
  if (value === null || typeof value !== "object" || Buffer.isBuffer(value)) return true;
  return Object.values(value).every(safeNumbers);
}

/** What an encoded job adds to a ListResponse: field 1's tag, the length, the bytes. */
export function listEntrySize(encodedStatus: Buffer): number {
  return 1 + protobuf.Writer.create().uint32(encodedStatus.length).len + encodedStatus.length;
}

/** A ListResponse of encoded jobs (field 1, repeated) and the page token (field 2). */
export function encodeListResponse(encodedJobs: Buffer[], nextPageToken: string): Buffer {
  const writer = protobuf.Writer.create();
  for (const job of encodedJobs) writer.uint32((1 << 3) | 2).bytes(job);
  writer.uint32((2 << 3) | 2).string(nextPageToken); // the stock serializer writes it even when empty
  return writer.finish() as Buffer;
}
