// The login throttle's token buckets with a fake clock: no sleeps, no timing.
import { expect } from "chai";
import { isRefusal, LoginThrottle, type LoginAttempt, type Refusal, type ThrottleLimits } from "../../agent/auth/login-throttle.js";

const MINUTE = 60_000;
const LIMITS: ThrottleLimits = { perUser: { burst: 3, refillEveryMs: MINUTE }, perClient: { burst: 5, refillEveryMs: 10_000 }, maxTracked: 100 };

describe("login throttle", () => {
  let now: number;
  let throttle: LoginThrottle;
  beforeEach(() => {
    now = 1_000_000;
    throttle = new LoginThrottle(LIMITS, () => now);
  });

  const admit = (client: string, user: string): LoginAttempt => {
    const result = throttle.admit(client, user);
    if (isRefusal(result)) throw new Error(`refused: ${JSON.stringify(result)}`);
    return result;
  };
  const refusal = (client: string, user: string): Refusal => {
    const result = throttle.admit(client, user);
    if (!isRefusal(result)) throw new Error("admitted");
    return result;
  };
  const fail = (client: string, user: string, times = 1) => {
    for (let i = 0; i < times; i++) admit(client, user).failed();
  };

  it("refuses a username after its burst of failures, from any client, until a token refills", () => {
    fail("c1", "alice", 2);
    expect(admit("c2", "alice").failed()).to.deep.equal([{ reason: "user", retryAfterMs: MINUTE }]);
    expect(refusal("c3", "alice")).to.deep.equal({ reason: "user", retryAfterMs: MINUTE });
    now += MINUTE - 1;
    expect(refusal("c3", "alice").retryAfterMs).to.equal(1);
    now += 1;
    admit("c3", "alice").failed();
    expect(refusal("c3", "alice").reason).to.equal("user");
  });

  it("treats every username alike, known or not (it never sees which exist)", () => {
    fail("c1", "alice", 3);
    fail("c2", "no-such-user", 3);
    expect(refusal("c3", "no-such-user")).to.deep.equal(refusal("c3", "alice"));
  });

  it("refuses a client after its burst of failures across usernames", () => {
    for (let i = 0; i < 5; i++) fail("sprayer", `user${i}`);
    expect(refusal("sprayer", "fresh")).to.deep.equal({ reason: "client", retryAfterMs: 10_000 });
    admit("other", "fresh").failed(); // another client is unaffected
  });

  it("answers the longer wait when both buckets are empty", () => {
    fail("c1", "alice", 3);
    fail("c1", "bob", 2);
    expect(refusal("c1", "alice")).to.deep.equal({ reason: "user", retryAfterMs: MINUTE });
  });

  it("gives tokens back for a success or an attempt that never hashed; counts concurrent attempts", () => {
    const inFlight = [admit("c1", "alice"), admit("c1", "alice"), admit("c1", "alice")];
    expect(refusal("c1", "alice").reason).to.equal("user"); // three in flight hold the burst
    inFlight[0].succeeded();
    inFlight[1].abandoned();
    inFlight[2].failed();
    admit("c2", "alice").failed(); // the two given back: two more failures
    admit("c2", "alice").failed();
    expect(refusal("c3", "alice").reason).to.equal("user");
    expect(() => inFlight[2].failed()).to.throw(/twice/);
  });

  it("lets a client that has logged in as a user past that user's lockout (but not other clients)", () => {
    admit("alices-laptop", "alice").succeeded();
    fail("attacker", "alice", 3);
    expect(refusal("elsewhere", "alice").reason).to.equal("user");
    admit("alices-laptop", "alice").succeeded();
    // Its own client bucket still applies.
    fail("alices-laptop", "alice", 5);
    expect(refusal("alices-laptop", "alice").reason).to.equal("client");
  });

  it("stays bounded when an attacker cycles through many usernames and clients", () => {
    const small = new LoginThrottle({ ...LIMITS, perClient: { burst: 1_000_000, refillEveryMs: 1 }, maxTracked: 50 }, () => now);
    for (let i = 0; i < 10_000; i++) {
      const attempt = small.admit(`client${i % 500}`, `user${i}`);
      if (!isRefusal(attempt)) attempt.failed();
      if (i % 7 === 0 && !isRefusal(attempt)) small.admit(`client${i}`, `ok${i}`);
    }
    const tracked = small.tracked;
    expect(tracked.users).to.be.at.most(50);
    expect(tracked.clients).to.be.at.most(50);
    expect(tracked.trusted).to.be.at.most(50);
  });

  it("forgets buckets that have refilled", () => {
    fail("c1", "alice", 2);
    now += 2 * MINUTE;
    admit("c1", "alice").succeeded(); // refunds to full: nothing left to remember for alice
    expect(throttle.tracked.users).to.equal(0);
  });

  it("applies new limits at once (SIGHUP)", () => {
    fail("c1", "alice", 3);
    throttle.setLimits({ ...LIMITS, perUser: { burst: 3, refillEveryMs: 1000 } });
    expect(refusal("c1", "alice").retryAfterMs).to.equal(1000);
    throttle.setLimits({ ...LIMITS, perUser: { burst: 3, refillEveryMs: 0 }, perClient: { burst: 5, refillEveryMs: 0 } }); // 0: no limit
    fail("c2", "alice", 20);
  });
});
