// Who is calling. Mutual TLS is always required: the verified client
// certificate identifies the caller, unless the call carries a token from
// Login ("authorization: Bearer <jwt>", seed 003), whose user and role then
// are the caller's identity.
import type { PeerCertificate } from "node:tls";
import { UnauthenticatedError } from "../errors.js";
import { identityFromCertificate, type Identity } from "./identity.js";
import type { TokenAuthority } from "./tokens.js";
import type { UserDirectory } from "./users.js";

const BEARER = /^Bearer +(\S+)$/i;

/**
 * What authenticating reads of an incoming call: its metadata and the peer's
 * verified certificate. Declared here so that auth needs no transport; the
 * api layer's grpc-js calls have both.
 */
export interface IncomingCall {
  metadata: { get(key: string): (string | Buffer)[] };
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

/**
 * A token is honoured only while its user still exists, and with the user's
 * current role: removing or demoting a user (SIGHUP) takes effect at once,
 * not when the token expires.
 */
export function callerAuthenticator(tokens: TokenAuthority, users: UserDirectory): (call: IncomingCall) => Promise<Identity> {
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
