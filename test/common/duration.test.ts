import { expect } from "chai";
import { parseDuration } from "../../common/duration.js";

describe("jobctl durations", () => {
  const valid: [string, number][] = [
    ["10s", 10_000],
    ["500ms", 500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.5s", 1500],
    [".5s", 500],
    ["0", 0],
    ["0s", 0],
    ["5", 5000],
    ["0.25", 250],
    [" 3s ", 3000],
  ];
  for (const [text, ms] of valid) {
    it(`"${text}" is ${ms} ms`, () => expect(parseDuration(text)).to.equal(ms));
  }

  for (const text of ["", "s", "-1s", "10x", "1d", "10 s", "1s2", "ms", "1e3", "NaN", "Infinity", "1..5s"]) {
    it(`rejects "${text}"`, () => expect(() => parseDuration(text)).to.throw(RangeError, /invalid duration/));
  }

  it("rejects a duration too long to be exact", () => {
    expect(() => parseDuration("99999999999999999h")).to.throw(RangeError, /too long/);
  });
});
