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
// as that user spend a bucket of their own, for that (client, user) pair, at
// the per-user rate, instead of the username's (its client bucket still
// applies). So a user is kept out by an attacker only from clients it has not
// logged in from (since the agent started), and only while the attack lasts;
// and guesses from a trusted pair (someone sharing the certificate) are no
// faster than per-user. Trust ends when the user's entry changes or goes
// (forget(), on a configuration reload) and when the agent restarts.
import { BoundedSet, TokenBuckets, type Rate } from "./token-buckets.js";

export interface ThrottleLimits {
  perUser: Rate;
  perClient: Rate;
  /** At most this many usernames, clients and trusted (client, user) pairs are remembered, each. */
  maxTracked: number;
}

/** user: the username's bucket; pair: a trusted (client, user) pair's; client: the client's. */
export type ThrottleReason = "user" | "pair" | "client";

export interface Refusal {
  reason: ThrottleReason;
  retryAfterMs: number;
}

/** One admitted attempt: report how it ended, once. */
export interface LoginAttempt {
  /** The password was right: tokens back, and (unless `trust` is false) the client is trusted for this user. */
  succeeded(trust?: boolean): void;
  /** The password was wrong: the tokens stay spent. Returns the buckets this failure emptied (for the log). */
  failed(): Refusal[];
  /** The attempt never checked a password (e.g. the hashing queue was full): tokens back. */
  abandoned(): void;
}

export class LoginThrottle {
  private readonly users: TokenBuckets;
  private readonly clients: TokenBuckets;
  private readonly pairs: TokenBuckets;
  private readonly trusted: BoundedSet;

  constructor(
    limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new TokenBuckets(limits.perUser, limits.maxTracked);
    this.clients = new TokenBuckets(limits.perClient, limits.maxTracked);
    this.pairs = new TokenBuckets(limits.perUser, limits.maxTracked);
    this.trusted = new BoundedSet(limits.maxTracked);
  }

  setLimits(limits: ThrottleLimits): void {
    this.users.setLimits(limits.perUser, limits.maxTracked);
    this.clients.setLimits(limits.perClient, limits.maxTracked);
    this.pairs.setLimits(limits.perUser, limits.maxTracked);
    this.trusted.setMax(limits.maxTracked);
  }

  /** How much is remembered (for tests: it must stay bounded). */
  get tracked(): { users: number; clients: number; pairs: number; trusted: number } {
    return { users: this.users.size, clients: this.clients.size, pairs: this.pairs.size, trusted: this.trusted.size };
  }

  /** No client is trusted for these users any more (their password or role changed, or they were removed). */
  forget(usernames: Iterable<string>): void {
    const gone = new Set(usernames);
    if (gone.size === 0) return;
    const forUser = (pair: string) => gone.has((JSON.parse(pair) as [string, string])[1]);
    this.trusted.deleteWhere(forUser);
    this.pairs.deleteWhere(forUser);
  }

  /** A refusal (nothing taken), or an admitted attempt holding a token of each bucket that applies. */
  admit(client: string, username: string): Refusal | LoginAttempt {
    const now = this.now();
    const pair = JSON.stringify([client, username]);
    // A trusted pair spends its own bucket, not the username's (which an attacker elsewhere may have emptied).
    const [second, key, reason]: [TokenBuckets, string, ThrottleReason] = this.trusted.has(pair)
      ? [this.pairs, pair, "pair"]
      : [this.users, username, "user"];
    const waits: Refusal[] = [
      { reason: "client", retryAfterMs: this.clients.waitMs(client, now) },
      { reason, retryAfterMs: second.waitMs(key, now) },
    ];
    const longest = waits.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
    if (longest.retryAfterMs > 0) return longest;

    this.clients.take(client, now);
    second.take(key, now);
    let done = false;
    const once = () => {
      if (done) throw new Error("a login attempt was reported twice");
      done = true;
    };
    const giveBack = () => {
      const later = this.now();
      this.clients.give(client, later);
      second.give(key, later);
    };
    return {
      succeeded: (trust = true) => {
        once();
        giveBack();
        if (trust) this.trusted.add(pair);
      },
      failed: () => {
        once();
        const later = this.now();
        const emptied: Refusal[] = [];
        const clientWait = this.clients.waitMs(client, later);
        if (clientWait > 0) emptied.push({ reason: "client", retryAfterMs: clientWait });
        const secondWait = second.waitMs(key, later);
        if (secondWait > 0) emptied.push({ reason, retryAfterMs: secondWait });
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
