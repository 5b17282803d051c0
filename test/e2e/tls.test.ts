// The handshake itself: TLS 1.3 only, TLS_AES_256_GCM_SHA384 only (seed 000).
import { expect } from "chai";
import { connect, type ConnectionOptions } from "node:tls";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { filesFor } from "../helpers/client.js";

describe("agent TLS handshake", () => {
  let agent: TestAgent;
  before(async () => (agent = await startTestAgent()));
  after(async () => {
    await agent.stop();
    agent.cleanup();
  });

  function handshake(options: ConnectionOptions): Promise<{ protocol: string | null; cipher: string }> {
    const files = filesFor(agent.pkiDir, "admin");
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: agent.port, servername: "localhost", ALPNProtocols: ["h2"], ca: files.ca, cert: files.cert, key: files.key, ...options });
      socket.once("secureConnect", () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().standardName });
        socket.destroy();
      });
      socket.once("error", reject);
    });
  }

  it("completes TLS 1.3 with TLS_AES_256_GCM_SHA384", async () => {
    expect(await handshake({})).to.deep.equal({ protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" });
  });

  it("refuses a TLS 1.2 client", async () => {
    const err = await handshake({ minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }).then(() => undefined, (e: Error) => e);
    expect(err, "handshake should fail").to.be.instanceOf(Error);
    expect(err!.message).to.match(/protocol version|alert/i);
  });

  it("refuses a TLS 1.3 client offering only other cipher suites", async () => {
    for (const suite of ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"]) {
      const err = await handshake({ ciphers: suite, minVersion: "TLSv1.3" }).then(() => undefined, (e: Error) => e);
      expect(err, `${suite} should be refused`).to.be.instanceOf(Error);
      expect(err!.message).to.match(/handshake failure|alert/i);
    }
  });
});
