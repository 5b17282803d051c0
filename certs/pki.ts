// Certificate authority and certificate issuing for jobworker's mutual TLS.
// Keys are ECDSA P-256 (generation takes about a millisecond, unlike RSA),
// signatures ECDSA with SHA-256. Everything is returned as PEM; writing files
// is the caller's business (see layout.ts).
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { encodeRoleExtension } from "./role.js";

x509.cryptoProvider.set(globalThis.crypto);

/** A certificate and its private key (PKCS#8), both PEM. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CaOptions {
  /** Default "jobworker development CA". */
  commonName?: string;
  /** Default 3650. */
  validityDays?: number;
}

export interface ServerCertOptions {
  /** Default: the first given name, else "localhost". */
  commonName?: string;
  /** Host names; entries that are IP addresses are recognised and become IP SANs. */
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Default 825 (the longest validity TLS clients have accepted for server certificates). */
  validityDays?: number;
}

export interface ClientCertOptions {
  /** The caller's identity: the certificate's subject CN. */
  name: string;
  /** Stored in the role extension (see role.ts); undefined issues a certificate without one (which the agent refuses). */
  role: string | undefined;
  /** Default 365; ignored when notAfter is given. */
  validityDays?: number;
  /** Overrides of the validity window (tests use them to make an expired certificate). */
  notBefore?: Date;
  notAfter?: Date;
}

const DAY_MS = 86_400_000;
// Certificates start a few minutes in the past so a peer whose clock is
// slightly behind does not reject a certificate issued a moment ago.
const CLOCK_SKEW_MS = 5 * 60_000;
const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;

export async function createCa(options: CaOptions = {}): Promise<PemPair> {
  const keys = await newKeyPair();
  const { notBefore, notAfter } = validity(options.validityDays ?? 3650);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [nonEmpty(options.commonName ?? "jobworker development CA", "CA common name")] }],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      // pathLen 0: this CA signs leaf certificates only, never other CAs.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await privateKeyPem(keys.privateKey) };
}

/** Reads a CA certificate and key, checking that the certificate is a CA and the key is its own. */
export async function loadCa(certPath: string, keyPath: string): Promise<PemPair> {
  const ca = {
    certPem: await readFile(certPath, "utf8").catch((e: Error) => fail(`reading CA certificate ${certPath}: ${e.message}`)),
    keyPem: await readFile(keyPath, "utf8").catch((e: Error) => fail(`reading CA key ${keyPath}: ${e.message}`)),
  };
  await openCa(ca);
  return ca;
}

export async function issueServerCert(ca: PemPair, options: ServerCertOptions = {}): Promise<PemPair> {
  const given = [...(options.dnsNames ?? []), ...(options.ipAddresses ?? [])];
  for (const ip of options.ipAddresses ?? []) if (isIP(unbracket(ip)) === 0) fail(`"${ip}" is not an IP address`);
  // Always reachable locally, whatever else it is called.
  const names = ["localhost", "127.0.0.1", "::1", ...given].map(unbracket);
  const sans = new Map<string, x509.JsonGeneralName>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (sans.has(key)) continue;
    if (isIP(name) !== 0) sans.set(key, { type: "ip", value: name });
    else if (/^[A-Za-z0-9*_.-]{1,253}$/.test(name)) sans.set(key, { type: "dns", value: name });
    else fail(`"${name}" is neither a host name nor an IP address`);
  }
  return issue(ca, options.commonName ?? (given[0] ? unbracket(given[0]) : "localhost"), validity(options.validityDays ?? 825), [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension([...sans.values()]),
  ]);
}

export async function issueClientCert(ca: PemPair, options: ClientCertOptions): Promise<PemPair> {
  return issue(ca, nonEmpty(options.name, "client name"), validity(options.validityDays ?? 365, options.notBefore, options.notAfter), [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ...(options.role === undefined ? [] : [encodeRoleExtension(nonEmpty(options.role, "role"))]),
  ]);
}

/** Signs a new leaf certificate (fresh key pair) with the CA. */
async function issue(
  ca: PemPair,
  commonName: string,
  window: { notBefore: Date; notAfter: Date },
  extensions: x509.Extension[],
): Promise<PemPair> {
  const signer = await openCa(ca);
  const caEnd = signer.cert.notAfter;
  if (caEnd.getTime() <= Date.now()) fail(`the CA certificate expired on ${caEnd.toISOString()}`);
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [commonName] }],
    // The CA's own encoded name, so issuer and subject match byte for byte.
    issuer: signer.cert.subjectName,
    notBefore: window.notBefore,
    // A certificate cannot usefully outlive the CA that vouches for it.
    notAfter: window.notAfter > caEnd ? caEnd : window.notAfter,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...extensions,
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await authorityKeyIdentifier(signer.cert),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await privateKeyPem(keys.privateKey) };
}

interface Signer {
  cert: x509.X509Certificate;
  key: CryptoKey;
  algorithm: EcdsaParams | Algorithm;
}

/** Parses CA material for signing. Accepts any EC or RSA key, so a CA made with openssl works too. */
async function openCa(ca: PemPair): Promise<Signer> {
  let cert: x509.X509Certificate;
  let key: KeyObject;
  try {
    cert = new x509.X509Certificate(ca.certPem);
    key = createPrivateKey(ca.keyPem);
  } catch (e) {
    return fail(`unreadable CA certificate or key: ${(e as Error).message}`);
  }
  if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca) fail(`"${cert.subject}" is not a CA certificate`);
  const publicKey = createPublicKey(key).export({ type: "spki", format: "der" });
  if (!publicKey.equals(new Uint8Array(cert.publicKey.rawData))) fail("the CA key does not belong to the CA certificate");

  const [importAlgorithm, algorithm] = signingAlgorithms(key);
  const pkcs8 = new Uint8Array(key.export({ type: "pkcs8", format: "der" }));
  return { cert, algorithm, key: await crypto.subtle.importKey("pkcs8", pkcs8, importAlgorithm, false, ["sign"]) };
}

function signingAlgorithms(key: KeyObject): [EcKeyImportParams | RsaHashedImportParams, EcdsaParams | Algorithm] {
  if (key.asymmetricKeyType === "rsa") {
    const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return [rsa, rsa];
  }
  const curve = { prime256v1: ["P-256", "SHA-256"], secp384r1: ["P-384", "SHA-384"], secp521r1: ["P-521", "SHA-512"] }[
    key.asymmetricKeyType === "ec" ? String(key.asymmetricKeyDetails?.namedCurve) : ""
  ];
  if (!curve) return fail(`unsupported CA key type ${key.asymmetricKeyType} (use an EC or RSA key)`);
  return [{ name: "ECDSA", namedCurve: curve[0]! }, { name: "ECDSA", hash: curve[1]! }];
}

/** Points at the CA's subject key identifier, so chains are built by key even if CA names repeat. */
async function authorityKeyIdentifier(caCert: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
}

function newKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(P256, true, ["sign", "verify"]);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY") + "\n";
}

/** 16 random bytes, top bit clear (a positive INTEGER without padding) and the next set (exactly 16 bytes). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString("hex");
}

function validity(days: number, notBefore?: Date, notAfter?: Date): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(days) || days < 1) fail(`validity must be a whole number of days >= 1, not ${days}`);
  const now = Date.now();
  const start = notBefore ?? new Date(now - CLOCK_SKEW_MS);
  const end = notAfter ?? new Date((notBefore?.getTime() ?? now) + days * DAY_MS);
  if (end <= start) fail(`notAfter (${end.toISOString()}) must be later than notBefore (${start.toISOString()})`);
  return { notBefore: start, notAfter: end };
}

function unbracket(name: string): string {
  return name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
}

function nonEmpty(value: string, what: string): string {
  if (value.trim() === "") fail(`${what} must not be empty`);
  return value;
}

function fail(message: string): never {
  throw new Error(message);
}
