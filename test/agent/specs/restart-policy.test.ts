// agent/specs/restart-policy.ts: which ends restart under each policy, and the
// back-off's doubling, cap and reset, as pure functions of the spec and the end.
import { expect } from "chai";
import { isFailure, nextDelay, restartsAtOnce, runDurationMs, wantsRestart, type RunEnd } from "../../../agent/specs/restart-policy.js";
import { DEFAULT_BACKOFF } from "../../../agent/specs/spec.js";

const end = (fields: Partial<RunEnd>): RunEnd => ({
  state: "EXITED", reason: "Completed", exitCode: 0, signal: null, startTime: "2026-12-02T00:00:00.000Z", endTime: "2026-12-02T00:00:05.000Z", ...fields,
});

const ENDS: Record<string, RunEnd> = {
  "exit 0": end({}),
  "exit 1": end({ reason: "Error", exitCode: 1 }),
  "killed by a signal nobody sent through Stop": end({ reason: "Error", exitCode: null, signal: "SIGSEGV" }),
  "OOM-killed": end({ reason: "OOMKilled", exitCode: null, signal: "SIGKILL" }),
  "could not start": end({ state: "FAILED", reason: "FailedToStart", exitCode: null }),
  "stopped through Stop": end({ state: "STOPPED", reason: "Stopped", exitCode: null, signal: "SIGTERM" }),
  "stopped by the agent's shutdown": end({ state: "STOPPED", reason: "AgentShutdown", exitCode: null, signal: "SIGTERM" }),
  "lost": end({ state: "STOPPED", reason: "Lost", exitCode: null }),
};

describe("specs/restart-policy", () => {
  describe("which ends restart", () => {
    const expected: Record<string, [always: boolean, onFailure: boolean, never: boolean]> = {
      "exit 0": [true, false, false],
      "exit 1": [true, true, false],
      "killed by a signal nobody sent through Stop": [true, true, false],
      "OOM-killed": [true, true, false],
      "could not start": [true, true, false],
      "stopped through Stop": [true, false, false],
      "stopped by the agent's shutdown": [true, true, false],
      "lost": [true, true, false],
    };
    for (const [what, [always, onFailure, never]] of Object.entries(expected)) {
      it(`${what}: Always ${always}, OnFailure ${onFailure}, Never ${never}`, () => {
        const restarts = (restartPolicy: "Always" | "OnFailure" | "Never") => wantsRestart({ restartPolicy, restartPreventExitCodes: [] }, ENDS[what]!);
        expect([restarts("Always"), restarts("OnFailure"), restarts("Never")]).to.deep.equal([always, onFailure, never]);
        expect(isFailure(ENDS[what]!)).to.equal(onFailure);
      });
    }

    it("never restarts an exit code in restartPreventExitCodes, whatever the policy", () => {
      const prevented = { restartPreventExitCodes: [0, 3] };
      expect(wantsRestart({ ...prevented, restartPolicy: "Always" }, ENDS["exit 0"]!)).to.equal(false);
      expect(wantsRestart({ ...prevented, restartPolicy: "OnFailure" }, end({ reason: "Error", exitCode: 3 }))).to.equal(false);
      expect(wantsRestart({ ...prevented, restartPolicy: "OnFailure" }, ENDS["exit 1"]!)).to.equal(true);
    });

    it("restarts at once only what was stopped, not what crashed", () => {
      const atOnce = Object.entries(ENDS).filter(([, e]) => restartsAtOnce(e)).map(([what]) => what);
      expect(atOnce).to.deep.equal(["stopped through Stop", "stopped by the agent's shutdown"]);
    });
  });

  describe("back-off", () => {
    it("doubles from initial per restart up to max: kubelet's 10 s, 20 s, ... 5 min", () => {
      let consecutive = 0;
      const delays: number[] = [];
      for (let i = 0; i < 8; i++) {
        const next = nextDelay(DEFAULT_BACKOFF, consecutive, 1000);
        delays.push(next.delayMs / 1000);
        consecutive = next.consecutive;
      }
      expect(delays).to.deep.equal([10, 20, 40, 80, 160, 300, 300, 300]);
    });

    it("starts over after a run that lasted resetAfter, and not after a shorter one", () => {
      expect(nextDelay(DEFAULT_BACKOFF, 5, DEFAULT_BACKOFF.resetAfterMs)).to.deep.equal({ delayMs: 10_000, consecutive: 1 });
      expect(nextDelay(DEFAULT_BACKOFF, 5, DEFAULT_BACKOFF.resetAfterMs - 1).delayMs).to.equal(300_000);
    });

    it("stays finite after any number of restarts", () => {
      expect(nextDelay(DEFAULT_BACKOFF, 10_000, 0).delayMs).to.equal(DEFAULT_BACKOFF.maxMs);
    });

    it("measures a run from its start to its end (0 without an end)", () => {
      expect(runDurationMs(ENDS["exit 0"]!)).to.equal(5000);
      expect(runDurationMs(end({ endTime: undefined }))).to.equal(0);
    });
  });
});
