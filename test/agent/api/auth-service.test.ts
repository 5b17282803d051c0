// Login through the local auth service (agent/api/auth-service.ts), over the
// real login (throttle, hashing queue, users, tokens): a token for the right
// password with its expiry in wire form, the input checks before any password
// is hashed, and the caller's certificate identity as the throttled client.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { AuthService, LOGIN_LIMITS } from "../../../agent/api/auth-service.js";
import { HashQueue } from "../../../agent/auth/hash-queue.js";
import { LoginService, type LoginEvents } from "../../../agent/auth/login.js";
import { LoginThrottle, type ThrottleLimits } from "../../../agent/auth/login-throttle.js";
import { hashPassword } from "../../../agent/auth/passwords.js";
import { TokenAuthority } from "../../../agent/auth/tokens.js";
import { UserDirectory } from "../../../agent/auth/users.js";
import { InvalidArgumentError, ResourceExhaustedError, UnauthenticatedError } from "../../../agent/errors.js";

const TTL_MS = 3600_000;
const PASSWORD = "correct horse battery staple";
const laptop = { name: "laptop", role: undefined };
const desktop = { name: "desktop", role: undefined };
const PLENTY: ThrottleLimits = { perUser: { burst: 100, refillEveryMs: 60_000 }, perClient: { burst: 100, refillEveryMs: 60_000 }, maxTracked: 100 };

/** The error `action` rejects with; fails the test if it succeeds. */
async function rejection(action: () => Promise<unknown>): Promise<Error> {
  try {
    await action();
  } catch (err) {
    return err as Error;
  }
  throw new Error("logged in");
}

describe("AuthService.login", () => {
  let passwordHash: string;
  let key: Uint8Array;
  let checked: number;
  let throttledClients: string[];

  before(async () => {
    passwordHash = await hashPassword(PASSWORD);
    key = randomBytes(32);
  });
  beforeEach(() => {
    checked = 0;
    throttledClients = [];
  });

  function service(limits = PLENTY): AuthService {
    const events: LoginEvents = {
      refused: () => undefined,
      throttled: (_refusal, client) => void throttledClients.push(client),
      passwordChecked: () => void checked++,
    };
    const users = new UserDirectory([{ name: "alice", role: "user", passwordHash }]);
    const queue = new HashQueue({ maxConcurrent: 1, maxQueued: 10, maxPerClient: 5 });
    return new AuthService(new LoginService(users, new TokenAuthority(key, TTL_MS), new LoginThrottle(limits), queue, events));
  }

  it("answers the right password with a token of the user and role, and its expiry as a protobuf Timestamp", async () => {
    const before = Date.now();
    const response = await service().login(laptop, { username: "alice", password: PASSWORD });
    const after = Date.now();
    expect(response.role).to.equal("user");
    expect(await new TokenAuthority(key, TTL_MS).verify(response.token!)).to.deep.equal({ name: "alice", role: "user" });
    const { seconds, nanos } = response.expiresAt as { seconds: number; nanos: number };
    const expiresMs = seconds * 1000 + nanos / 1e6;
    expect(expiresMs).to.be.within(before + TTL_MS, after + TTL_MS);
    expect(Number.isInteger(nanos) && nanos >= 0 && nanos < 1e9).to.equal(true);
  });

  it("answers a wrong password UNAUTHENTICATED", async () => {
    const err = await rejection(() => service().login(laptop, { username: "alice", password: "wrong" }));
    expect(err).to.be.instanceOf(UnauthenticatedError);
    expect(checked).to.equal(1);
  });

  it("refuses an empty or oversize username or password as INVALID_ARGUMENT, before any password is hashed", async () => {
    const auth = service();
    const { maxUsernameBytes, maxPasswordBytes } = LOGIN_LIMITS;
    const cases: [{ username: string; password: string }, string][] = [
      [{ username: "", password: PASSWORD }, "username is empty"],
      [{ username: "alice", password: "" }, "password is empty"],
      [{ username: "a".repeat(maxUsernameBytes + 1), password: PASSWORD }, `username is ${maxUsernameBytes + 1} bytes (limit ${maxUsernameBytes})`],
      [{ username: "alice", password: "é".repeat(maxPasswordBytes / 2 + 1) }, `password is ${maxPasswordBytes + 2} bytes (limit ${maxPasswordBytes})`],
    ];
    for (const [request, message] of cases) {
      const err = await rejection(() => auth.login(laptop, request));
      expect(err, message).to.be.instanceOf(InvalidArgumentError);
      expect(err.message).to.equal(message);
    }
    expect(checked).to.equal(0);
  });

  it("takes a username and password at their limits to the password check", async () => {
    const err = await rejection(() => service().login(laptop, { username: "a".repeat(LOGIN_LIMITS.maxUsernameBytes), password: "p".repeat(LOGIN_LIMITS.maxPasswordBytes) }));
    expect(err).to.be.instanceOf(UnauthenticatedError);
    expect(checked).to.equal(1);
  });

  it("throttles the caller's certificate identity as the client, whatever username it tries", async () => {
    const auth = service({ ...PLENTY, perClient: { burst: 1, refillEveryMs: 60_000 } });
    await rejection(() => auth.login(laptop, { username: "alice", password: "wrong" }));
    expect(throttledClients).to.deep.equal(["laptop"]);
    const refused = await rejection(() => auth.login(laptop, { username: "bob", password: "anything" }));
    expect(refused).to.be.instanceOf(ResourceExhaustedError);
    expect(refused.message).to.match(/^too many failed logins from client certificate "laptop": retry in /);
    expect((await auth.login(desktop, { username: "alice", password: PASSWORD })).role).to.equal("user");
  });
});
