// The throttled log of refused and closed connections, with a fake clock.
import { expect } from "chai";
import { ThrottledLog } from "../../../agent/api/throttled-log.js";

describe("api/throttled-log", () => {
  it("logs one line per kind per interval, with how many it stands for", () => {
    let now = 0;
    const lines: object[] = [];
    const log = new ThrottledLog(10_000, () => now);
    const write = (fields: object) => lines.push(fields);
    for (let i = 0; i < 5; i++) log.note("max_connections", write, { i }, "refused");
    log.note("evicted", write, {}, "closed");
    now = 10_000;
    log.note("max_connections", write, { i: 5 }, "refused");
    expect(lines).to.deep.equal([
      { i: 0, kind: "max_connections", count: 1 },
      { kind: "evicted", count: 1 },
      { i: 5, kind: "max_connections", count: 5 },
    ]);
  });
});
