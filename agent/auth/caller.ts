// Who is calling. Mutual TLS is always required: the verified client
// certificate identifies the caller, unless the call carries a token from
// Login ("authorization: Bearer <jwt>", seed 003), whose user and role then
// are the caller's identity.
import { UnauthenticatedError } from "../errors.js";
import type { AnyCall } from "../api/rpc.js";
import { identityFromCertificate, type Identity } from "./identity.js";
import type { TokenAuthority } from "./tokens.js";

const BEARER = /^Bearer +(\S+)$/i;

export function callerAuthenticator(tokens: TokenAuthority): (call: AnyCall) => Promise<Identity> {
  return async (call) => {
    const certificateIdentity = identityFromCertificate(call.getAuthContext().sslPeerCertificate);
    const header = call.metadata.get("authorization");
    if (header.length === 0) return certificateIdentity;
    const match = header.length === 1 ? BEARER.exec(String(header[0])) : null;
    if (!match) throw new UnauthenticatedError('the authorization metadata must be one "Bearer <token>"');
    return tokens.verify(match[1]);
  };
}
