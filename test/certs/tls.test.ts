// The issued certificates in a real mutual-TLS 1.3 handshake, as the agent
// (server: requestCert + rejectUnauthorized) and jobctl (client) will use them.
import { expect } from "chai";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { createCa, issueClientCert, issueServerCert, type PemPair } from "../../certs/pki.js";
import { readCertificateRole } from "../../common/certificate-role.js";

const DAY_MS = 86_400_000;
// OpenSSL's verdicts for a certificate signed by a CA one does not trust; which one
// depends on the version and on both dev CAs having the same subject name.
const UNTRUSTED = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|CERT_SIGNATURE_FAILURE)$/;

interface Outcome {
  /** What the server saw: the verified client's CN and role, or the handshake error. */
  server: { cn?: string; role?: string; protocol?: string | null; error?: string };
  /** Client-side error, if the client's connection failed. */
  clientError?: string;
}

describe("mutual TLS with the issued certificates", () => {
  let ca: PemPair;
  let server: tls.Server;
  let port: number;
  let lastServerSide: Promise<Outcome["server"]>;

  before(async () => {
    ca = await createCa();
    const serverPair = await issueServerCert(ca);
    let report: (o: Outcome["server"]) => void = () => {};
    server = tls.createServer({
      key: serverPair.keyPem,
      cert: serverPair.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
    });
    server.on("secureConnection", (socket) => {
      const peer = socket.getPeerCertificate();
      report({ cn: String(peer.subject.CN), role: readCertificateRole(peer.raw), protocol: socket.getProtocol() });
      socket.end("ok");
    });
    // Node checks the verification result after the handshake and destroys the
    // socket; the reason is left in authorizationError (the error is a bare ECONNRESET).
    server.on("tlsClientError", (err, socket) =>
      report({ error: String(socket.authorizationError ?? (err as NodeJS.ErrnoException).code ?? err.message) }),
    );
    const reset = () => (lastServerSide = new Promise((resolve) => (report = resolve)));
    server.on("connection", reset);
    reset();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Connects with `client` as the client certificate and reports what both sides saw. */
  async function connect(client: PemPair | undefined, options: tls.ConnectionOptions = {}): Promise<Outcome> {
    const clientError = await new Promise<string | undefined>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port, ca: ca.certPem, key: client?.keyPem, cert: client?.certPem, ...options });
      socket.setEncoding("utf8");
      let data = "";
      socket.on("data", (chunk) => (data += chunk));
      socket.on("close", () => resolve(data === "ok" ? undefined : "closed without reply"));
      socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    return { server: await lastServerSide, clientError };
  }

  it("accepts a client certificate from the CA, over TLS 1.3, and the role is read from the raw peer certificate", async () => {
    const outcome = await connect(await issueClientCert(ca, { name: "alice", role: "user" }));
    expect(outcome).to.deep.equal({ server: { cn: "alice", role: "user", protocol: "TLSv1.3" }, clientError: undefined });
  });

  it("verifies the server by name: localhost and 127.0.0.1 are in its certificate, other names are not", async () => {
    const admin = await issueClientCert(ca, { name: "admin", role: "admin" });
    expect((await connect(admin, { servername: "localhost" })).server.role).to.equal("admin");
    expect((await connect(admin, { servername: "elsewhere.example.com" })).clientError).to.equal("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("rejects an expired client certificate", async () => {
    const expired = await issueClientCert(ca, {
      name: "late",
      role: "admin",
      notBefore: new Date(Date.now() - 2 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    const outcome = await connect(expired);
    expect(outcome.server.error).to.equal("CERT_HAS_EXPIRED");
    expect(outcome.clientError).to.not.equal(undefined);
  });

  it("rejects a client certificate from another CA, and a client without one", async () => {
    const stranger = await issueClientCert(await createCa(), { name: "mallory", role: "admin" });
    const fromStranger = await connect(stranger);
    expect(fromStranger.server.error).to.match(UNTRUSTED);
    expect(fromStranger.clientError).to.not.equal(undefined);
    const anonymous = await connect(undefined);
    expect(anonymous.server.cn).to.equal(undefined);
    expect(anonymous.server.error).to.match(/PEER_DID_NOT_RETURN_A_CERTIFICATE/);
    expect(anonymous.clientError).to.match(/CERTIFICATE_REQUIRED/);
  });

  it("rejects a server certificate from another CA (the client verifies the agent too)", async () => {
    const outcome = await connect(await issueClientCert(ca, { name: "bob", role: "user" }), { ca: (await createCa()).certPem });
    expect(outcome.clientError).to.match(UNTRUSTED);
  });
});
