import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { createCa, issueClientCert, issueServerCert, type PemPair } from "../../certs/pki.js";
import { readCertificateRole, ROLE_OID } from "../../common/certificate-role.js";
import { encodeRoleExtension } from "../../certs/role.js";

x509.cryptoProvider.set(globalThis.crypto);

const der = (pem: string) => new X509Certificate(pem).raw;

/** A self-signed certificate with exactly the given extensions, to craft odd role values. */
async function certWith(extensions: x509.Extension[]): Promise<Buffer> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, false, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: "CN=odd", keys, signingAlgorithm: alg, extensions });
  return Buffer.from(cert.rawData);
}

describe("role extension", () => {
  let ca: PemPair;
  before(async () => {
    ca = await createCa();
  });

  it("reads back the role of an issued client certificate", async () => {
    for (const role of ["admin", "full", "user", "readonly", "opérateur-ü"]) {
      const client = await issueClientCert(ca, { name: "alice", role });
      expect(readCertificateRole(der(client.certPem))).to.equal(role);
    }
  });

  it("is a non-critical extension holding one DER UTF8String", () => {
    const ext = encodeRoleExtension("user");
    expect(ext.type).to.equal(ROLE_OID);
    expect(ext.critical).to.equal(false);
    expect(Buffer.from(ext.value).toString("hex")).to.equal("0c0475736572"); // UTF8String, length 4, "user"
  });

  it("refuses to encode an empty role", () => {
    expect(() => encodeRoleExtension("")).to.throw(/empty/);
  });

  it("is undefined for a certificate without the extension", async () => {
    expect(readCertificateRole(der((await issueServerCert(ca)).certPem))).to.equal(undefined);
    expect(readCertificateRole(der((await issueClientCert(ca, { name: "norole", role: undefined })).certPem))).to.equal(undefined);
    expect(readCertificateRole(der(ca.certPem))).to.equal(undefined);
  });

  it("reads a certificate that sits inside a larger buffer", async () => {
    const raw = der((await issueClientCert(ca, { name: "bob", role: "readonly" })).certPem);
    const pool = Buffer.concat([Buffer.from("junk before"), raw, Buffer.from("junk after")]);
    expect(readCertificateRole(pool.subarray(11, 11 + raw.length))).to.equal("readonly");
  });

  it("never throws on garbage, answering undefined", async () => {
    const raw = der((await issueClientCert(ca, { name: "bob", role: "user" })).certPem);
    const inputs = [
      new Uint8Array(0),
      new Uint8Array([0x30]),
      new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from("-----BEGIN CERTIFICATE-----"),
      raw.subarray(0, raw.length - 10),
      Buffer.concat([raw, Buffer.from([0])]),
      new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 })] }).toBER(false),
    ];
    for (let i = 0; i < 200; i++) inputs.push(crypto.getRandomValues(new Uint8Array(1 + i * 7)));
    // Every single-byte corruption of a real certificate.
    for (let i = 0; i < raw.length; i += 3) inputs.push(Buffer.from(raw).fill(raw[i]! ^ 0xff, i, i + 1));
    for (const input of inputs) {
      const role = readCertificateRole(new Uint8Array(input));
      expect(role === undefined || typeof role === "string").to.equal(true);
    }
    expect(readCertificateRole(raw.subarray(0, raw.length - 10))).to.equal(undefined);
  });

  it("is undefined when the value is not exactly one UTF8String of valid UTF-8", async () => {
    const values = [
      new asn1js.PrintableString({ value: "admin" }).toBER(false),
      new Uint8Array([0x0c, 0x02, 0xc3, 0x28]), // UTF8String with invalid UTF-8
      new Uint8Array([0x0c, 0x05, 0x61]), // length past the end
      new Uint8Array([0x0c, 0x01, 0x61, 0x00]), // trailing byte
      new Uint8Array(0),
    ];
    for (const value of values) {
      expect(readCertificateRole(await certWith([new x509.Extension(ROLE_OID, false, value)]))).to.equal(undefined);
    }
  });

  it("is undefined when the extension appears twice (ambiguous)", async () => {
    const twice = await certWith([encodeRoleExtension("readonly"), encodeRoleExtension("admin")]);
    expect(readCertificateRole(twice)).to.equal(undefined);
  });

  it("finds the role among other extensions, critical or not", async () => {
    const cert = await certWith([
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.Extension(ROLE_OID, true, new asn1js.Utf8String({ value: "full" }).toBER(false)),
    ]);
    expect(readCertificateRole(cert)).to.equal("full");
  });
});
