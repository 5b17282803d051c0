// agent/auth/caller.ts: who is calling, read from the small IncomingCall
// interface auth declares (a plain object here: no gRPC transport needed).
import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { callerAuthenticator, type IncomingCall } from "../../../agent/auth/caller.js";
import { TokenAuthority } from "../../../agent/auth/tokens.js";
import { UserDirectory } from "../../../agent/auth/users.js";
import { createCa, issueClientCert } from "../../../certs/pki.js";

/** What grpc-js hands over for a verified peer: the DER, the subject, the fingerprint. */
async function peer(name: string, role: string): Promise<PeerCertificate> {
  const cert = new X509Certificate((await issueClientCert(await createCa(), { name, role })).certPem);
  return { raw: cert.raw, subject: { CN: name }, fingerprint256: cert.fingerprint256 } as unknown as PeerCertificate;
}

function call(certificate: PeerCertificate | undefined, authorization: string[] = []): IncomingCall {
  return {
    metadata: { get: (key) => (key === "authorization" ? authorization : []) },
    getAuthContext: () => ({ sslPeerCertificate: certificate }),
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error("expected a refusal");
}

describe("auth/caller", () => {
  const tokens = new TokenAuthority(new Uint8Array(32).fill(7), 60_000);
  let users: UserDirectory;
  let certificate: PeerCertificate;
  let authenticate: ReturnType<typeof callerAuthenticator>;

  before(async () => {
    certificate = await peer("laptop", "user");
  });
  beforeEach(() => {
    users = new UserDirectory([{ name: "alice", role: "admin", passwordHash: "unused" }]);
    authenticate = callerAuthenticator(tokens, users);
  });

  it("without a token, the caller is the certificate's", async () => {
    expect(await authenticate(call(certificate))).to.deep.equal({ name: "laptop", role: "user" });
  });

  it("with a token, the caller is its user, with the user's current role (not the one in the token)", async () => {
    const { token } = await tokens.issue("alice", "admin");
    users.set([{ name: "alice", role: "viewer", passwordHash: "unused" }]);
    expect(await authenticate(call(certificate, [`Bearer ${token}`]))).to.deep.equal({ name: "alice", role: "viewer" });
  });

  it("refuses, UNAUTHENTICATED, a token whose user is gone, a malformed header, and any call without a certificate", async () => {
    const { token } = await tokens.issue("bob", "admin");
    const gone = await refusal(authenticate(call(certificate, [`Bearer ${token}`])));
    expect([gone.code, gone.message]).to.deep.equal(["UNAUTHENTICATED", 'user "bob" of this token no longer exists: log in again']);
    const malformed = await refusal(authenticate(call(certificate, ["Basic abc"])));
    expect(malformed.code).to.equal("UNAUTHENTICATED");
    expect(malformed.message).to.include("Bearer <token>");
    const anonymous = await refusal(authenticate(call(undefined, [`Bearer ${token}`])));
    expect(anonymous.code).to.equal("UNAUTHENTICATED");
  });
});
