// List's pages as a pure function: order, the byte budget, pageSize, a cursor
// that survives jobs removed and added between pages, and malformed tokens.
import { expect } from "chai";
import { listPage, type Page, type PageOptions } from "../../../agent/api/list-page.js";
import { decodeCursor, encodeCursor } from "../../../agent/api/page-token.js";
import { newJobId } from "../../../agent/jobs/ids.js";
import { NO_LIMITS, type JobRecord } from "../../../agent/jobs/record.js";
import { inListOrder } from "../../helpers/records.js";

function job(ms: number, argBytes = 10): JobRecord {
  return {
    id: newJobId(), owner: "a", command: "echo", args: ["x".repeat(argBytes)], state: "EXITED", exitCode: 0, signal: null,
    startTime: new Date(Date.UTC(2025, 0, 1) + ms).toISOString(), gracePeriodMs: 0, limits: NO_LIMITS, outputBytes: 0, outputDroppedBytes: 0,
  };
}

/** Sizes are the arguments' bytes, so that a test can reason about the budget exactly. */
const sized = (budgetBytes: number, pageSize = 0, pageToken = ""): PageOptions<{ id: string; arguments: string[] }> => ({
  pageSize, pageToken, budgetBytes,
  toEntry: (r) => ({ id: r.id, arguments: r.args }),
  encodedSize: (s) => s.arguments.join("").length,
});

const ids = (page: Page<{ id: string }>) => page.jobs.map((j) => j.id);

describe("List pages", () => {
  it("fill up to the byte budget, oldest first (ties by id), and always hold at least one job", () => {
    const records = [job(2, 40), job(1, 40), job(1, 40), job(3, 200), job(4, 10)];
    const order = inListOrder(records).map((r) => r.id);
    const first = listPage(records, sized(100));
    expect(ids(first)).to.deep.equal(order.slice(0, 2)); // a third 40 would pass 100
    const second = listPage(records, sized(100, 0, first.nextPageToken));
    expect(ids(second)).to.deep.equal(order.slice(2, 3)); // the next one (200) does not fit with it
    const third = listPage(records, sized(100, 0, second.nextPageToken));
    expect(ids(third)).to.deep.equal(order.slice(3, 4)); // over the budget alone: still returned
    const last = listPage(records, sized(100, 0, third.nextPageToken));
    expect(ids(last)).to.deep.equal(order.slice(4));
    expect(last.nextPageToken).to.equal("");
  });

  it("pageSize bounds the count; 0 is the byte budget alone, so a small set comes back whole", () => {
    const records = Array.from({ length: 10 }, (_, i) => job(i));
    expect(ids(listPage(records, sized(1 << 20, 4)))).to.have.length(4);
    const whole = listPage(records, sized(1 << 20));
    expect(ids(whole)).to.have.length(10);
    expect(whole.nextPageToken).to.equal("");
  });

  it("a token stays good when jobs are removed (its own included) or added between pages: none twice, none of those kept lost", () => {
    const records = Array.from({ length: 6 }, (_, i) => job(i * 10));
    const order = inListOrder(records);
    const first = listPage(records, sized(1 << 20, 3));
    const later = [...order.slice(0, 1), ...order.slice(3, 5), job(25), job(1000)]; // the cursor's job and order[5] removed
    const rest = listPage(later, sized(1 << 20, 0, first.nextPageToken));
    expect(ids(rest)).to.deep.equal(inListOrder(later).slice(1).map((r) => r.id));
  });

  it("refuses a malformed token with INVALID_ARGUMENT, and round-trips its own", () => {
    const cursor = { startTime: "2025-01-01T00:00:00.000Z", id: newJobId() };
    expect(decodeCursor(encodeCursor(cursor))).to.deep.equal(cursor);
    expect(decodeCursor("")).to.equal(undefined);
    const good = encodeCursor(cursor);
    const bad = [
      "not base64!", good + "A", Buffer.from(`v2 ${cursor.startTime} ${cursor.id}`).toString("base64url"),
      Buffer.from(`v1 2025-01-01 ${cursor.id}`).toString("base64url"), Buffer.from(`v1 ${cursor.startTime} 42`).toString("base64url"),
      Buffer.from(`v1 ${cursor.startTime} ${cursor.id} extra`).toString("base64url"),
    ];
    for (const token of bad) expect(() => decodeCursor(token), token).to.throw(/pageToken is malformed/).with.property("code", "INVALID_ARGUMENT");
  });
});
