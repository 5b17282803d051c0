// The connection guard's pieces that need no agent (the policy end to end: test/e2e/connections.test.ts).
import { expect } from "chai";
import { timerMs } from "../../../agent/api/connection-guard.js";

describe("api/connection-guard", () => {
  it("keeps timer durations where Node's timers work (past 2^31-1 ms they fire at once)", () => {
    expect(timerMs(10_000)).to.equal(10_000);
    expect(timerMs(100 * 24 * 3600_000)).to.equal(2 ** 31 - 1);
  });
});
