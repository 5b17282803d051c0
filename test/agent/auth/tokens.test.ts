// Seed 003's tokens: what TokenAuthority issues it accepts back; everything
// else is UNAUTHENTICATED, saying why.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { TokenAuthority } from "../../../agent/auth/tokens.js";

const KEY = randomBytes(32);

/** A token like the agent's, with `change` applied before it is signed. */
function craft(change: (jwt: SignJWT) => SignJWT, claims: Record<string, unknown> = { role: "user" }, alg = "HS256", key: Uint8Array = KEY): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setSubject("alice").setIssuer("jobworker").setAudience("jobworker").setIssuedAt(now).setExpirationTime(now + 600);
  return change(jwt).sign(key);
}

/** The refusal's code and message, or "accepted". */
async function refusal(authority: TokenAuthority, token: string): Promise<string> {
  return authority.verify(token).then(
    () => "accepted",
    (err: Error & { code?: string }) => `${err.code}: ${err.message}`,
  );
}

describe("auth/tokens", () => {
  const authority = new TokenAuthority(KEY, 3600_000);

  it("a token it issued carries the name and role back, and expires after the ttl", async () => {
    const before = Date.now();
    const { token, expiresAt } = await authority.issue("alice", "user");
    expect(await authority.verify(token)).to.deep.equal({ name: "alice", role: "user" });
    expect(expiresAt.getTime()).to.be.within(before + 3600_000, Date.now() + 3600_000);
  });

  it("a token signed with another key (another agent's) is refused", async () => {
    const other = await new TokenAuthority(randomBytes(32), 3600_000).issue("alice", "admin");
    expect(await refusal(authority, other.token)).to.equal("UNAUTHENTICATED: token signature is not valid for this agent");
  });

  it("an expired token is refused, saying how to get a new one", async () => {
    const expired = await new TokenAuthority(KEY, -10_000).issue("alice", "user");
    expect(await refusal(authority, expired.token)).to.equal("UNAUTHENTICATED: token expired: log in again (jobctl login)");
  });

  it("setTtl applies to the tokens issued after it", async () => {
    const changing = new TokenAuthority(KEY, 3600_000);
    changing.setTtl(-10_000);
    expect(await refusal(changing, (await changing.issue("alice", "user")).token)).to.match(/token expired/);
  });

  it("another issuer or audience is refused, naming the claim", async () => {
    expect(await refusal(authority, await craft((jwt) => jwt.setIssuer("someone-else")))).to.match(/^UNAUTHENTICATED: token rejected: .*"iss"/);
    expect(await refusal(authority, await craft((jwt) => jwt.setAudience("someone-else")))).to.match(/^UNAUTHENTICATED: token rejected: .*"aud"/);
  });

  it("a token without a role or a subject is refused", async () => {
    expect(await refusal(authority, await craft((jwt) => jwt, {}))).to.equal("UNAUTHENTICATED: token lacks a subject or a role");
    expect(await refusal(authority, await craft((jwt) => jwt.setSubject(""), { role: "user" }))).to.equal("UNAUTHENTICATED: token lacks a subject or a role");
    expect(await refusal(authority, await craft((jwt) => jwt, { role: 7 }))).to.equal("UNAUTHENTICATED: token lacks a subject or a role");
  });

  it("HS256 only: the same key under another algorithm is refused; so is anything that is not a JWT", async () => {
    expect(await refusal(authority, await craft((jwt) => jwt, { role: "user" }, "HS512"))).to.equal("UNAUTHENTICATED: malformed token");
    for (const token of ["", "not.a.token", "a.b", "x".repeat(100)]) expect(await refusal(authority, token), JSON.stringify(token)).to.equal("UNAUTHENTICATED: malformed token");
  });

  it("the crafted token itself is accepted: the refusals above are for what each changed", async () => {
    expect(await authority.verify(await craft((jwt) => jwt))).to.deep.equal({ name: "alice", role: "user" });
  });
});
