// A start's resource limits resolved (agent/api/limit-resolution.ts): 0 asks
// for the agent's default, the agent's maxima bound every request (0 there is
// no maximum), and invalid values are INVALID_ARGUMENT naming the limit.
import { expect } from "chai";
import { InvalidArgumentError } from "../../../agent/errors.js";
import { MIN_CPU_CORES, resolveLimits } from "../../../agent/api/limit-resolution.js";
import { NO_LIMITS, type ResourceLimits } from "../../../agent/jobs/record.js";

const limits = (set: Partial<ResourceLimits>): ResourceLimits => ({ ...NO_LIMITS, ...set });

function refusal(requested: Partial<ResourceLimits>, defaults: Partial<ResourceLimits> = {}, maxima: Partial<ResourceLimits> = {}): string {
  try {
    resolveLimits(limits(requested), limits(defaults), limits(maxima));
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error("resolveLimits accepted it");
}

describe("resolveLimits", () => {
  it("takes the agent's default for each limit the request leaves 0", () => {
    const defaults = limits({ cpuCores: 0.5, memoryBytes: 64 << 20, pids: 100 });
    expect(resolveLimits(NO_LIMITS, defaults, NO_LIMITS)).to.deep.equal(defaults);
  });

  it("takes what the request asks for over the default", () => {
    const resolved = resolveLimits(limits({ memoryBytes: 1 << 20, ioReadBps: 5000 }), limits({ memoryBytes: 64 << 20, pids: 100 }), NO_LIMITS);
    expect(resolved).to.deep.equal(limits({ memoryBytes: 1 << 20, ioReadBps: 5000, pids: 100 }));
  });

  it("leaves a limit unlimited (0) when neither the request, the default nor a maximum sets it", () => {
    expect(resolveLimits(NO_LIMITS, NO_LIMITS, NO_LIMITS)).to.deep.equal(NO_LIMITS);
  });

  it("accepts a request at the maximum and treats a maximum of 0 as none", () => {
    expect(resolveLimits(limits({ pids: 50 }), NO_LIMITS, limits({ pids: 50 })).pids).to.equal(50);
    expect(resolveLimits(limits({ pids: 1_000_000 }), NO_LIMITS, NO_LIMITS).pids).to.equal(1_000_000);
  });

  it("refuses a request over the agent's maximum, naming the limit, the value and the maximum", () => {
    expect(refusal({ memoryBytes: 2048 }, {}, { memoryBytes: 1024 })).to.equal("memory limit 2048 is over the agent's maximum 1024");
    expect(refusal({ cpuCores: 3 }, {}, { cpuCores: 2 })).to.equal("cpu limit 3 is over the agent's maximum 2");
    expect(refusal({ ioWriteIops: 11 }, {}, { ioWriteIops: 10 })).to.equal("io write iops limit 11 is over the agent's maximum 10");
  });

  it("caps an unlimited default at the maximum: a request that asks for nothing still gets the agent's cap", () => {
    expect(resolveLimits(NO_LIMITS, NO_LIMITS, limits({ pids: 64, memoryBytes: 1 << 30 }))).to.deep.equal(limits({ pids: 64, memoryBytes: 1 << 30 }));
  });

  it("caps a default above the maximum at the maximum instead of refusing a request that asked for nothing", () => {
    expect(resolveLimits(NO_LIMITS, limits({ pids: 500 }), limits({ pids: 64 })).pids).to.equal(64);
  });

  it("refuses negative, non-finite and fractional values (fractions only for cpu)", () => {
    expect(refusal({ pids: -1 })).to.equal("pids limit -1 is not a valid value");
    expect(refusal({ memoryBytes: Number.NaN })).to.equal("memory limit NaN is not a valid value");
    expect(refusal({ cpuCores: Number.POSITIVE_INFINITY })).to.equal("cpu limit Infinity is not a valid value");
    expect(refusal({ ioReadBps: 1.5 })).to.equal("io read bps limit 1.5 is not a valid value");
    expect(refusal({ memoryBytes: 2 ** 53 })).to.equal(`memory limit ${2 ** 53} is not a valid value`);
    expect(resolveLimits(limits({ cpuCores: 1.5 }), NO_LIMITS, NO_LIMITS).cpuCores).to.equal(1.5);
  });

  it("refuses a cpu limit below the kernel's smallest quota, whether requested or the default", () => {
    expect(refusal({ cpuCores: 0.001 })).to.equal(`cpu limit 0.001 is below the minimum ${MIN_CPU_CORES}`);
    expect(refusal({}, { cpuCores: 0.005 })).to.equal(`cpu limit 0.005 is below the minimum ${MIN_CPU_CORES}`);
    expect(resolveLimits(limits({ cpuCores: MIN_CPU_CORES }), NO_LIMITS, NO_LIMITS).cpuCores).to.equal(MIN_CPU_CORES);
  });
});
