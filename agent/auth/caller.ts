// Who is calling. Mutual TLS is always required: the verified client
// certificate identifies the caller, unless the call carries a token from
// Login ("authorization: Bearer <jwt>", seed 003), whose user and role then
// are the caller's identity.
import { UnauthenticatedError } from "../errors.js";
import type { AnyCall } from "../api/rpc.js";
import { identityFromCertificate, type Identity } from "./identity.js";
import type { TokenAuthority } from "./tokens.js";
import type { UserDirectory } from "./users.js";

const BEARER = /^Bearer +(\S+)$/i;

/**
 * A token is honoured only while its user still exists, and with the user's
 * current role: removing or demoting a user (SIGHUP) takes effect at once,
 * not when the token expires.
 */
export function callerAuthenticator(tokens: TokenAuthority, users: UserDirectory): (call: AnyCall) => Promise<Identity> {
  return async (call) => {
    const certificateIdentity = identityFromCertificate(call.getAuthContext().sslPeerCertificate);
    const header = call.metadata.get("authorization");
    if (header.length === 0) return certificateIdentity;
    const match = header.length === 1 ? BEARER.exec(String(header[0])) : null;
    if (!match) throw new UnauthenticatedError('the authorization metadata must be one "Bearer <token>"');
    const claimed = await tokens.verify(match[1]);
    const user = users.get(claimed.name);
    if (!user) throw new UnauthenticatedError(`user "${claimed.name}" of this token no longer exists: log in again`);
    return { name: user.name, role: user.role };
  };
}
