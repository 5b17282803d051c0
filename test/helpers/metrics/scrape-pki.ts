// A throwaway PKI for the metrics listener's client-certificate tests, made
// with the project's own certs/ library: a scrape CA, a server certificate for
// localhost, clients "prometheus" and "alice" from that CA, and "intruder" from
// another CA. Also a bearer token file, mode 0600.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCa, issueClientCert, issueServerCert, type PemPair } from "../../../certs/pki.js";

export interface PemFiles {
  certFile: string;
  keyFile: string;
}

export interface ScrapePki {
  caFile: string;
  server: PemFiles;
  clients: { prometheus: PemFiles; alice: PemFiles; intruder: PemFiles };
}

export async function makeScrapePki(dir: string): Promise<ScrapePki> {
  const ca = await createCa({ commonName: "jobworker test scrape CA" });
  const otherCa = await createCa({ commonName: "some other CA" });
  writeFileSync(join(dir, "ca.crt"), ca.certPem);
  const write = (name: string, pair: PemPair): PemFiles => {
    writeFileSync(join(dir, `${name}.crt`), pair.certPem);
    writeFileSync(join(dir, `${name}.key`), pair.keyPem, { mode: 0o600 });
    return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  };
  return {
    caFile: join(dir, "ca.crt"),
    server: write("server", await issueServerCert(ca, { dnsNames: ["localhost"] })),
    clients: {
      prometheus: write("prometheus", await issueClientCert(ca, { name: "prometheus", role: undefined })),
      alice: write("alice", await issueClientCert(ca, { name: "alice", role: "user" })),
      intruder: write("intruder", await issueClientCert(otherCa, { name: "prometheus", role: undefined })),
    },
  };
}

/** A token file as an operator should write it: mode 0600, a trailing newline (which both sides trim). */
export function writeTokenFile(path: string, token: string): string {
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}
