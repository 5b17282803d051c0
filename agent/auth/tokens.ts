// Seed 003's tokens: HS256 JWTs signed and verified with jose. The key lives
// in the state directory (or a configured file), never in the source.
import { errors, jwtVerify, SignJWT } from "jose";
import { UnauthenticatedError } from "../errors.js";
import type { Identity } from "./identity.js";

const ISSUER = "jobworker";
const AUDIENCE = "jobworker";

export class TokenAuthority {
  constructor(
    private readonly key: Uint8Array,
    private ttlMs: number,
  ) {}

  setTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  async issue(name: string, role: string): Promise<{ token: string; expiresAt: Date }> {
    const now = Date.now();
    const expiresAt = new Date(now + this.ttlMs);
    const token = await new SignJWT({ role })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(name)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The identity a token carries; UNAUTHENTICATED, saying why, for anything else. */
  async verify(token: string): Promise<Identity> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"] });
      if (typeof payload.sub !== "string" || payload.sub === "" || typeof payload.role !== "string") {
        throw new UnauthenticatedError("token lacks a subject or a role");
      }
      return { name: payload.sub, role: payload.role };
    } catch (err) {
      if (err instanceof UnauthenticatedError) throw err;
      if (err instanceof errors.JWTExpired) throw new UnauthenticatedError("token expired: log in again (jobctl login)");
      if (err instanceof errors.JWSSignatureVerificationFailed) throw new UnauthenticatedError("token signature is not valid for this agent");
      if (err instanceof errors.JWTClaimValidationFailed) throw new UnauthenticatedError(`token rejected: ${err.message}`);
      throw new UnauthenticatedError("malformed token");
    }
  }
}
