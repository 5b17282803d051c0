// The job lifecycle as agent/jobs/lifecycle.ts draws it: every edge of the
// drawing is allowed, every other pair of states refused, and the three ends
// are final. The expected edges are written out here from the drawing, not
// read from the module, so that a changed table fails this test.
import { expect } from "chai";
import { canTransition, isFinal, transition, type JobState } from "../../../agent/jobs/lifecycle.js";

const STATES: readonly JobState[] = ["STARTED", "RUNNING", "EXITED", "STOPPED", "FAILED"];

/** The drawing's edges, each with why it exists. */
const DRAWN: ReadonlyArray<[JobState, JobState, string]> = [
  ["STARTED", "RUNNING", "exec succeeded"],
  ["STARTED", "FAILED", "exec failed (FailedToStart)"],
  ["STARTED", "STOPPED", "stopped before exec was confirmed, or lost"],
  ["STARTED", "EXITED", "exec succeeded and the job ended while no agent was watching"],
  ["RUNNING", "EXITED", "the command ended by itself"],
  ["RUNNING", "STOPPED", "stop(), agent shutdown, or lost"],
];

const isDrawn = (from: JobState, to: JobState) => DRAWN.some(([f, t]) => f === from && t === to);
const REFUSED = STATES.flatMap((from) => STATES.filter((to) => !isDrawn(from, to)).map((to): [JobState, JobState] => [from, to]));

describe("jobs/lifecycle", () => {
  describe("allowed transitions", () => {
    for (const [from, to, why] of DRAWN) {
      it(`${from} -> ${to}: ${why}`, () => {
        expect(canTransition(from, to)).to.equal(true);
        expect(transition(from, to)).to.equal(to);
      });
    }
  });

  describe("refused transitions", () => {
    it("are all the other 19 pairs, staying in a state included", () => {
      expect(REFUSED).to.have.length(STATES.length * STATES.length - DRAWN.length);
      for (const state of STATES) expect(REFUSED).to.deep.include([state, state]);
    });

    for (const [from, to] of REFUSED) {
      it(`${from} -> ${to}`, () => {
        expect(canTransition(from, to)).to.equal(false);
        expect(() => transition(from, to)).to.throw(Error, `job lifecycle: no transition ${from} -> ${to}`);
      });
    }

    it("a reattached job stays RUNNING without a transition: RUNNING -> RUNNING is not an edge", () => {
      expect(canTransition("RUNNING", "RUNNING")).to.equal(false);
    });

    it("nothing goes back to STARTED, and only STARTED can end FAILED", () => {
      for (const from of STATES) expect(canTransition(from, "STARTED"), from).to.equal(false);
      expect(STATES.filter((from) => canTransition(from, "FAILED"))).to.deep.equal(["STARTED"]);
    });
  });

  describe("final states", () => {
    it("EXITED, STOPPED and FAILED are final; STARTED and RUNNING are not", () => {
      expect(STATES.filter(isFinal)).to.deep.equal(["EXITED", "STOPPED", "FAILED"]);
    });

    it("a final state has no way out, and every other state has one", () => {
      for (const state of STATES) {
        const exits = STATES.filter((to) => canTransition(state, to));
        expect(exits.length === 0, state).to.equal(isFinal(state));
      }
    });

    it("every state is reachable from STARTED, and every path ends in a final state", () => {
      const reached = new Set<JobState>(["STARTED"]);
      for (const from of reached) for (const to of STATES) if (canTransition(from, to)) reached.add(to); // a Set iterates what is added meanwhile
      expect([...reached].sort()).to.deep.equal([...STATES].sort());
      // No cycles: from any state, at most two steps reach a final one (STARTED -> RUNNING -> an end).
      const longest = (state: JobState): number => Math.max(0, ...STATES.filter((to) => canTransition(state, to)).map((to) => 1 + longest(to)));
      expect(longest("STARTED")).to.equal(2);
    });
  });
});
