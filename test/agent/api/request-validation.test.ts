// A request's fields checked against the request limits
// (agent/api/request-validation.ts): at a limit is accepted, one byte or one
// item past it is INVALID_ARGUMENT saying which field and which limit.
import { expect } from "chai";
import { REQUEST_LIMITS } from "../../../common/request-limits.js";
import { InvalidArgumentError } from "../../../agent/errors.js";
import { parseGracePeriod, parseOffset, validateCommand } from "../../../agent/api/request-validation.js";

/** The INVALID_ARGUMENT message `check` throws; fails the test if it throws nothing or something else. */
function refusal(check: () => unknown): string {
  try {
    check();
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error("accepted");
}

/** Arguments of `bytes` in all, each at most the per-argument limit. */
function argumentsOf(bytes: number): string[] {
  const max = REQUEST_LIMITS.maxArgumentBytes;
  return [...Array.from({ length: Math.floor(bytes / max) }, () => "a".repeat(max)), "a".repeat(bytes % max)];
}

describe("request validation", () => {
  describe("validateCommand", () => {
    const { maxCommandBytes, maxArguments, maxArgumentBytes, maxTotalArgvBytes } = REQUEST_LIMITS;

    it("accepts a command and arguments at every limit", () => {
      validateCommand("c".repeat(maxCommandBytes), []);
      validateCommand("echo", Array.from({ length: maxArguments }, () => ""));
      validateCommand("echo", ["a".repeat(maxArgumentBytes)]);
      validateCommand("echo", argumentsOf(maxTotalArgvBytes - "echo".length));
    });

    it("refuses an empty command", () => {
      expect(refusal(() => validateCommand("", []))).to.equal("commandName is empty");
    });

    it("refuses a command one byte over its limit, counting bytes, not characters", () => {
      expect(refusal(() => validateCommand("c".repeat(maxCommandBytes + 1), []))).to.equal(`commandName is ${maxCommandBytes + 1} bytes (limit ${maxCommandBytes})`);
      expect(refusal(() => validateCommand("é".repeat(maxCommandBytes / 2 + 1), []))).to.equal(`commandName is ${maxCommandBytes + 2} bytes (limit ${maxCommandBytes})`);
    });

    it("refuses one argument too many", () => {
      const args = Array.from({ length: maxArguments + 1 }, () => "");
      expect(refusal(() => validateCommand("echo", args))).to.equal(`too many arguments: ${maxArguments + 1} (limit ${maxArguments})`);
    });

    it("refuses an argument one byte over its limit, naming its index", () => {
      expect(refusal(() => validateCommand("echo", ["ok", "a".repeat(maxArgumentBytes + 1)]))).to.equal(`arguments[1] is ${maxArgumentBytes + 1} bytes (limit ${maxArgumentBytes})`);
    });

    it("refuses a command and arguments one byte over the total, each argument within its own limit", () => {
      expect(refusal(() => validateCommand("echo", argumentsOf(maxTotalArgvBytes - "echo".length + 1)))).to.equal(`command and arguments are ${maxTotalArgvBytes + 1} bytes (limit ${maxTotalArgvBytes})`);
    });

    it("refuses a NUL byte in the command or an argument (the kernel would cut the string there)", () => {
      expect(refusal(() => validateCommand("ec\0ho", []))).to.equal("commandName contains a NUL byte");
      expect(refusal(() => validateCommand("echo", ["a", "b\0c"]))).to.equal("arguments[1] contains a NUL byte");
    });
  });

  describe("parseGracePeriod", () => {
    it("is undefined when the request leaves it unset, so the agent's default applies", () => {
      expect(parseGracePeriod(undefined)).to.equal(undefined);
      expect(parseGracePeriod(null)).to.equal(undefined);
    });

    it("reads the wire's decimal text, 0 and the maximum included", () => {
      expect(parseGracePeriod("0")).to.equal(0);
      expect(parseGracePeriod("2500")).to.equal(2500);
      expect(parseGracePeriod(String(REQUEST_LIMITS.maxGracePeriodMs))).to.equal(REQUEST_LIMITS.maxGracePeriodMs);
    });

    it("refuses a value past the maximum, up to uint64's largest", () => {
      const expected = (value: string) => `gracePeriodMs ${value} is out of range (0..${REQUEST_LIMITS.maxGracePeriodMs})`;
      const over = String(REQUEST_LIMITS.maxGracePeriodMs + 1);
      expect(refusal(() => parseGracePeriod(over))).to.equal(expected(over));
      expect(refusal(() => parseGracePeriod("18446744073709551615"))).to.equal(expected("18446744073709551615"));
    });
  });

  describe("parseOffset", () => {
    it("reads the wire's decimal text, past 2^32 too", () => {
      expect(parseOffset("0")).to.equal(0);
      expect(parseOffset(String(2 ** 40 + 5))).to.equal(2 ** 40 + 5);
    });

    it("refuses an offset beyond exact integers (a uint64 past 2^53)", () => {
      expect(refusal(() => parseOffset("18446744073709551615"))).to.equal("offset 18446744073709551615 is out of range");
    });
  });
});
