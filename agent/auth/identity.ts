// Who is calling: the verified client certificate's subject CN, and the role
// carried in its X.509 v3 extension OID 1.2.840.10070.8.1 (seed 000).
import type { PeerCertificate } from "node:tls";
import { readCertificateRole } from "../../common/certificate-role.js";
import { UnauthenticatedError } from "../errors.js";

export interface Identity {
  /** Subject CN of the client certificate. */
  name: string;
  /** Role from the certificate's role extension; undefined if it has none. */
  role: string | undefined;
}

/** What a caller without a verified client certificate is told, whichever layer refuses it. */
export const NO_CERTIFICATE_MESSAGE = "a client certificate signed by the agent's CA is required (none was presented, or it is untrusted or expired)";

/**
 * Owners the agent itself uses (the manifest directory's specs run as
 * system:manifests), as Kubernetes reserves "system:": no caller may be one.
 * Configured usernames cannot hold a colon (the config schema).
 */
export const RESERVED_PREFIX = "system:";

/** Parsed identities by certificate fingerprint: the role extension is decoded once per certificate, not per RPC. */
const cache = new Map<string, Identity>();
const CACHE_LIMIT = 10_000;

/**
 * The identity of a verified peer certificate. grpc-js hands one over only
 * when the TLS handshake verified it against the configured CA (the socket is
 * "authorized"); absent, expired, or untrusted certificates arrive as undefined.
 */
export function identityFromCertificate(cert: PeerCertificate | undefined): Identity {
  if (!cert?.raw) {
    throw new UnauthenticatedError(NO_CERTIFICATE_MESSAGE);
  }
  const key = cert.fingerprint256;
  let identity = cache.get(key);
  if (!identity) {
    const name = typeof cert.subject?.CN === "string" ? cert.subject.CN : "";
    if (name === "") throw new UnauthenticatedError("the client certificate has no subject CN to identify the caller");
    if (name.startsWith(RESERVED_PREFIX)) throw new UnauthenticatedError(`the client certificate's CN ${JSON.stringify(name)} uses the prefix ${RESERVED_PREFIX}, reserved for the agent's own owners (such as system:manifests)`);
    identity = { name, role: readCertificateRole(cert.raw) };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, identity);
  }
  return identity;
}
