import { expect } from "chai";
import { formatDuration, parseDuration } from "../../common/duration.js";
import { formatBytes, parseByteQuantity } from "../../common/quantity.js";

describe("quantities and durations", () => {
  it("parses Kubernetes byte quantities", () => {
    const cases: [string, number][] = [["268435456", 268435456], ["256Mi", 256 * 2 ** 20], ["1G", 1e9], ["512k", 512000], ["1.5Gi", 1.5 * 2 ** 30], ["10Ki", 10240]];
    for (const [text, bytes] of cases) expect(parseByteQuantity(text), text).to.equal(bytes);
  });

  it("rejects what is not a quantity, naming it", () => {
    for (const text of ["", "ten", "1 Gi", "1gi", "-5", "1ki", "1e9"]) expect(() => parseByteQuantity(text), text).to.throw(/is not a quantity/);
    expect(() => parseByteQuantity("99999Ei")).to.throw(/too large/);
  });

  it("formats bytes in the largest exact binary unit", () => {
    expect([0, 1000, 1024, 256 * 2 ** 20, 2 ** 30 + 1].map(formatBytes)).to.deep.equal(["0", "1000", "1Ki", "256Mi", String(2 ** 30 + 1)]);
  });

  it("formats durations so that they parse back", () => {
    for (const ms of [0, 1500, 10_000, 90_000, 3_600_000, 7 * 24 * 3_600_000]) expect(parseDuration(formatDuration(ms))).to.equal(ms);
    expect(formatDuration(7 * 24 * 3_600_000)).to.equal("168h");
  });
});
