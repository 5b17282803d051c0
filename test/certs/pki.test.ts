import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { expect } from "chai";
import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCa, issueClientCert, issueServerCert, loadCa, type PemPair } from "../../certs/pki.js";
import { readCertificateRole } from "../../common/certificate-role.js";
import { tempDir } from "../helpers/tmp.js";

const DAY_MS = 86_400_000;

describe("pki: CA and certificate issuing", () => {
  let ca: PemPair;
  let caCert: X509Certificate;
  before(async () => {
    ca = await createCa();
    caCert = new X509Certificate(ca.certPem);
  });

  it("creates a self-signed P-256 CA valid for 10 years", () => {
    expect(caCert.ca).to.equal(true);
    expect(caCert.subject).to.equal("CN=jobworker development CA");
    expect(caCert.checkIssued(caCert)).to.equal(true);
    expect(caCert.verify(caCert.publicKey)).to.equal(true);
    expect(caCert.publicKey.asymmetricKeyDetails?.namedCurve).to.equal("prime256v1");
    const days = (Date.parse(caCert.validTo) - Date.now()) / DAY_MS;
    expect(days).to.be.within(3649, 3651);
    expect(createPrivateKey(ca.keyPem).asymmetricKeyType).to.equal("ec");
    expect(ca.keyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8
  });

  it("issues a server certificate that chains to the CA, with the local SANs and the given names", async () => {
    const server = await issueServerCert(ca, { dnsNames: ["agent.example.com", "10.1.2.3"], ipAddresses: ["fd00::5"] });
    const cert = new X509Certificate(server.certPem);
    expect(cert.verify(caCert.publicKey)).to.equal(true);
    expect(cert.checkIssued(caCert)).to.equal(true);
    expect(cert.ca).to.equal(false);
    expect(cert.subject).to.equal("CN=agent.example.com");
    expect(cert.subjectAltName?.split(", ")).to.have.members([
      "DNS:localhost",
      "IP Address:127.0.0.1",
      "IP Address:0:0:0:0:0:0:0:1",
      "DNS:agent.example.com",
      "IP Address:10.1.2.3",
      "IP Address:FD00:0:0:0:0:0:0:5",
    ]);
    expect(cert.checkHost("localhost")).to.equal("localhost");
    expect(cert.checkIP("127.0.0.1")).to.equal("127.0.0.1");
    expect(cert.checkIP("::1")).to.equal("::1");
    expect(cert.keyUsage).to.deep.equal(["1.3.6.1.5.5.7.3.1"]); // node names the EKU list keyUsage
    const days = (Date.parse(cert.validTo) - Date.now()) / DAY_MS;
    expect(days).to.be.within(824, 826);
    // The key is the certificate's.
    expect(cert.checkPrivateKey(createPrivateKey(server.keyPem))).to.equal(true);
  });

  it("rejects a server name that is neither a host name nor an IP", async () => {
    let error: unknown;
    await issueServerCert(ca, { dnsNames: ["bad name"] }).catch((e) => (error = e));
    expect(String(error)).to.match(/neither a host name nor an IP/);
    error = undefined;
    await issueServerCert(ca, { ipAddresses: ["example.com"] }).catch((e) => (error = e));
    expect(String(error)).to.match(/not an IP address/);
  });

  it("issues a client certificate carrying the name as CN and the role", async () => {
    const client = await issueClientCert(ca, { name: "alice", role: "user" });
    const cert = new X509Certificate(client.certPem);
    expect(cert.subject).to.equal("CN=alice");
    expect(cert.verify(caCert.publicKey)).to.equal(true);
    expect(cert.checkIssued(caCert)).to.equal(true);
    expect(cert.keyUsage).to.deep.equal(["1.3.6.1.5.5.7.3.2"]);
    expect(readCertificateRole(cert.raw)).to.equal("user");
    expect(cert.checkPrivateKey(createPrivateKey(client.keyPem))).to.equal(true);
  });

  it("uses random, positive 16-byte serial numbers", async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const serial = new X509Certificate((await issueClientCert(ca, { name: `c${i}`, role: "user" })).certPem).serialNumber;
      expect(serial).to.match(/^[4-7][0-9A-F]{31}$/); // 16 bytes, top bit clear: positive without a 0x00 pad
      serials.add(serial);
    }
    expect(serials.size).to.equal(20);
  });

  it("makes an expired certificate when asked to", async () => {
    const client = await issueClientCert(ca, {
      name: "late",
      role: "user",
      notBefore: new Date(Date.now() - 2 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    const cert = new X509Certificate(client.certPem);
    expect(Date.parse(cert.validTo)).to.be.below(Date.now());
    expect(cert.verify(caCert.publicKey)).to.equal(true);
  });

  it("never lets a certificate outlive its CA", async () => {
    const shortCa = await createCa({ commonName: "short", validityDays: 2 });
    const cert = new X509Certificate((await issueServerCert(shortCa, { validityDays: 825 })).certPem);
    expect(cert.validTo).to.equal(new X509Certificate(shortCa.certPem).validTo);
  });

  it("rejects a non-positive validity and an inverted window", async () => {
    for (const options of [
      { name: "x", role: "user", validityDays: 0 },
      { name: "x", role: "user", notBefore: new Date(), notAfter: new Date(Date.now() - 1000) },
      { name: "", role: "user" },
      { name: "x", role: "" },
    ]) {
      let error: unknown;
      await issueClientCert(ca, options).catch((e) => (error = e));
      expect(error, JSON.stringify(options)).to.be.instanceOf(Error);
    }
  });

  describe("loadCa", () => {
    let dir: ReturnType<typeof tempDir>;
    beforeEach(() => (dir = tempDir()));
    afterEach(() => dir.cleanup());

    it("loads a CA written to disk and issues from it", async () => {
      writeFileSync(join(dir.path, "ca.crt"), ca.certPem);
      writeFileSync(join(dir.path, "ca.key"), ca.keyPem);
      const loaded = await loadCa(join(dir.path, "ca.crt"), join(dir.path, "ca.key"));
      expect(loaded).to.deep.equal(ca);
      const cert = new X509Certificate((await issueClientCert(loaded, { name: "bob", role: "readonly" })).certPem);
      expect(cert.checkIssued(caCert)).to.equal(true);
    });

    it("refuses a key that is not the CA's, and a certificate that is not a CA", async () => {
      const other = await createCa();
      const leaf = await issueServerCert(ca);
      const cases: [string, string, RegExp][] = [
        [ca.certPem, other.keyPem, /does not belong/],
        [leaf.certPem, leaf.keyPem, /not a CA/],
        ["garbage", ca.keyPem, /unreadable/],
      ];
      for (const [certPem, keyPem, message] of cases) {
        writeFileSync(join(dir.path, "c.crt"), certPem);
        writeFileSync(join(dir.path, "c.key"), keyPem);
        let error: unknown;
        await loadCa(join(dir.path, "c.crt"), join(dir.path, "c.key")).catch((e) => (error = e));
        expect(String(error)).to.match(message);
      }
      let error: unknown;
      await loadCa(join(dir.path, "missing.crt"), join(dir.path, "c.key")).catch((e) => (error = e));
      expect(String(error)).to.match(/reading CA certificate .*missing\.crt/);
    });

    it("signs with an RSA CA key too (a CA made elsewhere, e.g. with openssl)", async () => {
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
      const der = (format: "pkcs8" | "spki") =>
        new Uint8Array(format === "pkcs8" ? rsa.privateKey.export({ type: "pkcs8", format: "der" }) : rsa.publicKey.export({ type: "spki", format: "der" }));
      const keys = {
        privateKey: await crypto.subtle.importKey("pkcs8", der("pkcs8"), alg, false, ["sign"]),
        publicKey: await crypto.subtle.importKey("spki", der("spki"), alg, true, ["verify"]),
      };
      const rsaCaCert = await x509.X509CertificateGenerator.createSelfSigned({
        name: "CN=rsa ca",
        keys,
        signingAlgorithm: alg,
        extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
      });
      // A traditional "BEGIN RSA PRIVATE KEY" file, as openssl genrsa writes.
      const rsaCa = { certPem: rsaCaCert.toString("pem"), keyPem: rsa.privateKey.export({ type: "pkcs1", format: "pem" }) as string };
      const cert = new X509Certificate((await issueClientCert(rsaCa, { name: "r", role: "user" })).certPem);
      expect(cert.verify(rsa.publicKey)).to.equal(true);
      expect(readCertificateRole(cert.raw)).to.equal("user");
    });
  });
});
