// Seed 003's login with protections against brute force and floods, in the order that keeps a flood
// cheap: the throttle first (no hash spent on a throttled attempt), then the
// bounded hashing queue (no waiting without bound), then the password check.
// Both refusals are RESOURCE_EXHAUSTED with when to retry; a wrong password or
// an unknown user stays UNAUTHENTICATED.
import { formatDuration } from "../../common/duration.js";
import { ResourceExhaustedError, UnauthenticatedError } from "../errors.js";
import { HashQueueClientShareError, HashQueueFullError, type HashQueue } from "./hash-queue.js";
import { isRefusal, type LoginThrottle, type Refusal } from "./login-throttle.js";
import type { TokenAuthority } from "./tokens.js";
import type { UserDirectory } from "./users.js";

/** queue: the hashing queue is full; clientQueue: this client already holds its share of it. */
export type RefusalReason = Refusal["reason"] | "queue" | "clientQueue";

export interface LoginEvents {
  /** A login was refused without checking its password. */
  refused(reason: RefusalReason, client: string, username: string): void;
  /** A failed login emptied a bucket: from now on, this user or client is throttled (once per lockout, for the log). */
  throttled(refusal: Refusal, client: string, username: string): void;
  /** A password was checked (one scrypt derivation). */
  passwordChecked(): void;
}

export interface LoginResult {
  token: string;
  role: string;
  expiresAt: Date;
}

export class LoginService {
  constructor(
    private readonly users: UserDirectory,
    private readonly tokens: TokenAuthority,
    private readonly throttle: LoginThrottle,
    private readonly queue: HashQueue,
    private readonly events: LoginEvents,
  ) {}

  /** `client` is the caller's certificate identity. */
  async login(client: string, username: string, password: string): Promise<LoginResult> {
    const attempt = this.throttle.admit(client, username);
    if (isRefusal(attempt)) {
      this.events.refused(attempt.reason, client, username);
      throw new ResourceExhaustedError(throttledMessage(attempt, client, username), { retryAfterMs: attempt.retryAfterMs });
    }
    let user;
    try {
      user = await this.queue.run(client, () => {
        this.events.passwordChecked();
        return this.users.authenticate(username, password);
      });
    } catch (err) {
      attempt.abandoned();
      if (err instanceof HashQueueFullError) this.events.refused("queue", client, username);
      if (err instanceof HashQueueClientShareError) this.events.refused("clientQueue", client, username);
      throw err;
    }
    if (!user) {
      for (const emptied of attempt.failed()) this.events.throttled(emptied, client, username);
      throw new UnauthenticatedError("wrong username or password");
    }
    // Not trusted if the user's entry changed while the password was checked (a reload's forget() has run).
    attempt.succeeded(this.users.isCurrent(user));
    const { token, expiresAt } = await this.tokens.issue(user.name, user.role);
    return { token, role: user.role, expiresAt };
  }
}

function throttledMessage(refusal: Refusal, client: string, username: string): string {
  const retry = formatDuration(Math.ceil(refusal.retryAfterMs / 1000) * 1000);
  switch (refusal.reason) {
    case "user":
      return `too many failed logins for user ${JSON.stringify(username)}: retry in ${retry}`;
    case "pair":
      return `too many failed logins for user ${JSON.stringify(username)} from client certificate ${JSON.stringify(client)}: retry in ${retry}`;
    case "client":
      return `too many failed logins from client certificate ${JSON.stringify(client)}: retry in ${retry}`;
  }
}
