// agent/auth/identity.ts: who a verified client certificate names, and the
// owner names no certificate may claim.
import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { identityFromCertificate, RESERVED_PREFIX } from "../../../agent/auth/identity.js";
import { FILE_SPEC_OWNER } from "../../../agent/specs/spec.js";
import { createCa, issueClientCert } from "../../../certs/pki.js";

/** What grpc-js hands over for a verified peer: the DER, the subject, the fingerprint. */
async function peer(name: string, role = "user"): Promise<PeerCertificate> {
  const cert = new X509Certificate((await issueClientCert(await createCa(), { name, role })).certPem);
  return { raw: cert.raw, subject: { CN: name }, fingerprint256: cert.fingerprint256 } as unknown as PeerCertificate;
}

describe("auth/identity", () => {
  it("names the caller by the certificate's CN, with the role from its extension", async () => {
    expect(identityFromCertificate(await peer("alice", "admin"))).to.deep.equal({ name: "alice", role: "admin" });
  });

  it("refuses, UNAUTHENTICATED, a CN under the reserved system: prefix, so no caller can act as the manifest directory's owner", async () => {
    expect(FILE_SPEC_OWNER.startsWith(RESERVED_PREFIX), "the file specs' owner is reserved").to.equal(true);
    for (const name of [FILE_SPEC_OWNER, "system:anything"]) {
      const err = (() => {
        try {
          identityFromCertificate({ raw: Buffer.from("unused"), subject: { CN: name }, fingerprint256: `fp-${name}` } as unknown as PeerCertificate);
        } catch (e) {
          return e as { code?: string; message: string };
        }
        return undefined;
      })();
      expect(err?.code, name).to.equal("UNAUTHENTICATED");
      expect(err?.message).to.include("reserved");
    }
  });
});
