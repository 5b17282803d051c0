// The login throttle's token buckets with a fake clock: no sleeps, no timing.
import { expect } from "chai";
import { UserDirectory } from "../../../agent/auth/users.js";
import { isRefusal, LoginThrottle, type LoginAttempt, type Refusal, type ThrottleLimits } from "../../../agent/auth/login-throttle.js";

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
    for (let i = 0; i < 5; i++) fail("alices-laptop", `other${i}`);
    expect(refusal("alices-laptop", "alice").reason).to.equal("client");
  });

  it("makes a trusted pair's failures spend the pair's own bucket, at the per-user rate, not the user's", () => {
    admit("bastion", "alice").succeeded();
    // Someone else on the shared certificate guesses: the per-user burst, then one a minute (not one per 10 s).
    expect(admit("bastion", "alice").failed()).to.deep.equal([]);
    fail("bastion", "alice");
    expect(admit("bastion", "alice").failed()).to.deep.equal([{ reason: "pair", retryAfterMs: MINUTE }]);
    expect(refusal("bastion", "alice")).to.deep.equal({ reason: "pair", retryAfterMs: MINUTE });
    now += 10_000; // the client bucket's refill: not enough for the pair
    expect(refusal("bastion", "alice")).to.deep.equal({ reason: "pair", retryAfterMs: MINUTE - 10_000 });
    now += MINUTE - 10_000;
    admit("bastion", "alice").failed();
    expect(refusal("bastion", "alice").reason).to.equal("pair");
    // The user's own bucket was not spent: alice from elsewhere still gets her tries...
    fail("elsewhere", "alice", 2);
    admit("laptop", "alice").succeeded();
    // ...and an attacker emptying it does not touch the pair's bucket (or another trusted pair's).
    fail("attacker", "alice");
    expect(refusal("attacker", "alice").reason).to.equal("user");
    admit("laptop", "alice").succeeded();
    expect(throttle.tracked.pairs).to.equal(1); // bastion's (laptop's is full: forgotten)
  });

  it("trusts no client for a user once forgotten (a reload changed or removed the user)", () => {
    admit("laptop", "alice").succeeded();
    admit("laptop", "bob").succeeded();
    fail("laptop", "alice"); // the pair's bucket
    fail("attacker", "alice", 3);
    admit("laptop", "alice").succeeded(); // trusted: past alice's lockout
    throttle.forget(["alice"]);
    expect(refusal("laptop", "alice")).to.deep.equal({ reason: "user", retryAfterMs: MINUTE });
    expect(throttle.tracked).to.deep.include({ trusted: 1, pairs: 0 }); // bob's trust stays
    fail("attacker2", "bob", 3);
    admit("laptop", "bob").succeeded();
    // Trust is earned again only by a success, which now needs the username's bucket.
    now += MINUTE;
    admit("laptop", "alice").succeeded();
    fail("attacker", "alice");
    admit("laptop", "alice").succeeded();
  });

  it("does not trust a client for a success it is told not to trust (the user changed meanwhile)", () => {
    admit("laptop", "alice").succeeded(false);
    fail("attacker", "alice", 3);
    expect(refusal("laptop", "alice").reason).to.equal("user");
    expect(throttle.tracked.trusted).to.equal(0);
  });

  it("reports on reload the users whose password hash or role changed or who were removed", () => {
    const users = new UserDirectory([
      { name: "alice", role: "user", passwordHash: "h1" },
      { name: "bob", role: "user", passwordHash: "h2" },
      { name: "carol", role: "user", passwordHash: "h3" },
      { name: "dave", role: "user", passwordHash: "h4" },
    ]);
    const kept = users.get("alice")!;
    const changed = users.set([
      { name: "alice", role: "user", passwordHash: "h1" }, // the same entry, a new object: unchanged
      { name: "bob", role: "user", passwordHash: "new" },
      { name: "carol", role: "admin", passwordHash: "h3" },
      { name: "erin", role: "user", passwordHash: "h5" },
    ]);
    expect(changed.sort()).to.deep.equal(["bob", "carol", "dave"]);
    expect(users.isCurrent(kept)).to.equal(true);
    expect(users.isCurrent({ name: "bob", role: "user", passwordHash: "h2" })).to.equal(false);
  });

  it("stays bounded when an attacker cycles through many usernames and clients", () => {
    const small = new LoginThrottle({ ...LIMITS, perClient: { burst: 1_000_000, refillEveryMs: 1 }, maxTracked: 50 }, () => now);
    for (let i = 0; i < 10_000; i++) {
      const attempt = small.admit(`client${i % 500}`, `user${i}`);
      if (!isRefusal(attempt)) attempt.failed();
      if (i % 7 === 0 && !isRefusal(attempt)) {
        const ok = small.admit(`client${i}`, `ok${i}`);
        if (!isRefusal(ok)) ok.succeeded();
        const guess = small.admit(`client${i}`, `ok${i}`); // a trusted pair's bucket
        if (!isRefusal(guess)) guess.failed();
      }
    }
    const tracked = small.tracked;
    expect(tracked.users).to.be.at.most(50);
    expect(tracked.clients).to.be.at.most(50);
    expect(tracked.trusted).to.be.at.most(50);
    expect(tracked.pairs).to.be.at.most(50);
    expect(tracked.trusted).to.be.above(0);
    expect(tracked.pairs).to.be.above(0);
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
