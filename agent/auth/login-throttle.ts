// Throttling of failed logins (issue 9), checked before any password is hashed.
//
// Two token buckets per attempt, each spent by a failed login only:
// - per username, whether or not the user exists (an unknown user is throttled
//   exactly like a known one, so the answers tell nothing about who exists);
//   this stops guessing one user's password from many clients;
// - per client, the client certificate's identity: every caller of Login has a
//   certificate from the agent's CA (mutual TLS), which an attacker cannot mint
//   more of, unlike source addresses (IPv6 gives anyone millions; NAT puts many
//   legitimate users behind one); this stops one client spraying many usernames.
// A token is taken when the attempt is admitted, so concurrent attempts cannot
// exceed the burst, and given back if the attempt succeeds or never hashed.
//
// The trade-off: a throttled username refuses even the right password (else
// the throttle would still answer guesses), so an attacker could keep a user
// locked out. Against that, a client certificate that has logged in as a user
// successfully is trusted for that user (OWASP's "device cookie"): its logins
// as that user skip the username's bucket (its own client bucket still
// applies). So a user is kept out by an attacker only from clients it has not
// logged in from (since the agent started), and only while the attack lasts.
import { BoundedSet, TokenBuckets, type Rate } from "./token-buckets.js";

export interface ThrottleLimits {
  perUser: Rate;
  perClient: Rate;
  /** At most this many usernames, clients and trusted (client, user) pairs are remembered, each. */
  maxTracked: number;
}

export type ThrottleReason = "user" | "client";

export interface Refusal {
  reason: ThrottleReason;
  retryAfterMs: number;
}

/** One admitted attempt: report how it ended, once. */
export interface LoginAttempt {
  /** The password was right: tokens back, and the client is trusted for this user. */
  succeeded(): void;
  /** The password was wrong: the tokens stay spent. Returns the buckets this failure emptied (for the log). */
  failed(): Refusal[];
  /** The attempt never checked a password (e.g. the hashing queue was full): tokens back. */
  abandoned(): void;
}

export class LoginThrottle {
  private readonly users: TokenBuckets;
  private readonly clients: TokenBuckets;
  private readonly trusted: BoundedSet;

  constructor(
    limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new TokenBuckets(limits.perUser, limits.maxTracked);
    this.clients = new TokenBuckets(limits.perClient, limits.maxTracked);
    this.trusted = new BoundedSet(limits.maxTracked);
  }

  setLimits(limits: ThrottleLimits): void {
    this.users.setLimits(limits.perUser, limits.maxTracked);
    this.clients.setLimits(limits.perClient, limits.maxTracked);
    this.trusted.setMax(limits.maxTracked);
  }

  /** How much is remembered (for tests: it must stay bounded). */
  get tracked(): { users: number; clients: number; trusted: number } {
    return { users: this.users.size, clients: this.clients.size, trusted: this.trusted.size };
  }

  /** A refusal (nothing taken), or an admitted attempt holding a token of each bucket that applies. */
  admit(client: string, username: string): Refusal | LoginAttempt {
    const now = this.now();
    const pair = JSON.stringify([client, username]);
    const checkUser = !this.trusted.has(pair);
    const waits: Refusal[] = [{ reason: "client", retryAfterMs: this.clients.waitMs(client, now) }];
    if (checkUser) waits.push({ reason: "user", retryAfterMs: this.users.waitMs(username, now) });
    const longest = waits.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
    if (longest.retryAfterMs > 0) return longest;

    this.clients.take(client, now);
    if (checkUser) this.users.take(username, now);
    let done = false;
    const once = () => {
      if (done) throw new Error("a login attempt was reported twice");
      done = true;
    };
    const giveBack = () => {
      const later = this.now();
      this.clients.give(client, later);
      if (checkUser) this.users.give(username, later);
    };
    return {
      succeeded: () => {
        once();
        giveBack();
        this.trusted.add(pair);
      },
      failed: () => {
        once();
        const later = this.now();
        const emptied: Refusal[] = [];
        const clientWait = this.clients.waitMs(client, later);
        if (clientWait > 0) emptied.push({ reason: "client", retryAfterMs: clientWait });
        const userWait = checkUser ? this.users.waitMs(username, later) : 0;
        if (userWait > 0) emptied.push({ reason: "user", retryAfterMs: userWait });
        return emptied;
      },
      abandoned: () => {
        once();
        giveBack();
      },
    };
  }
}

export function isRefusal(result: Refusal | LoginAttempt): result is Refusal {
  return "reason" in result;
}
