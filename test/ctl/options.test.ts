import { expect } from "chai";
import { InvalidArgumentError } from "commander";
import { byteOffsetOption, cpuOption, durationOption, quantityOption } from "../../ctl/options.js";

describe("jobctl option parsers", () => {
  it("durationOption: milliseconds, and a usage error for what is not a duration", () => {
    expect(durationOption("10s")).to.equal(10_000);
    expect(durationOption("0")).to.equal(0);
    expect(() => durationOption("ten")).to.throw(InvalidArgumentError);
  });

  it("byteOffsetOption: whole numbers from 0", () => {
    expect(byteOffsetOption("0")).to.equal(0);
    expect(byteOffsetOption("1048576")).to.equal(1048576);
    for (const bad of ["-1", "1.5", "1Ki", "", "99999999999999999999"]) {
      expect(() => byteOffsetOption(bad), bad).to.throw(InvalidArgumentError, /byte offset/);
    }
  });

  it("cpuOption: a decimal number of cores above 0", () => {
    expect(cpuOption("0.5")).to.equal(0.5);
    expect(cpuOption("2")).to.equal(2);
    for (const bad of ["0", "0.0", "-1", ".5", "1e3", "500m"]) {
      expect(() => cpuOption(bad), bad).to.throw(InvalidArgumentError, /cores above 0/);
    }
  });

  it("quantityOption: bytes or a quantity, above 0 (0 would mean no limit)", () => {
    expect(quantityOption("256Mi")).to.equal(256 * 1024 * 1024);
    expect(quantityOption("100")).to.equal(100);
    expect(() => quantityOption("0"), "0").to.throw(InvalidArgumentError, /above 0/);
    expect(() => quantityOption("lots"), "lots").to.throw(InvalidArgumentError);
  });
});
