// Connection and login abuse is bounded (connections.* in the configuration):
// silent and half-open connections time out, idle sessions are closed with a
// GOAWAY but streams in flight never are, and the caps hold while an admin
// still gets in. Attackers are raw sockets from other loopback addresses
// (127.0.0.2, ...: all of 127/8 is local on Linux), admins the usual client.
// Every wait is for an event, bounded by many seconds; nothing sleeps.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as connectHttp2 } from "node:http2";
import { connect as connectTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as connectTls, type TLSSocket } from "node:tls";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, workerClient } from "../helpers/client.js";
import { find, parseExposition, valueOf, type Sample } from "../helpers/metrics/exposition.js";

const BOUND_MS = 30_000;

async function agentWith(connections: string): Promise<TestAgent> {
  const dir = mkdtempSync(join(tmpdir(), "jobagent-conn-config-"));
  const path = join(dir, "agent.yaml");
  writeFileSync(path, `apiVersion: jobworker/v1\nkind: AgentConfig\nconnections: {${connections}}\n`);
  try {
    return await startTestAgent({ args: ["--config", path] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A TCP connection that never says anything, open once the kernel has it. */
function silent(agent: TestAgent, localAddress = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: "127.0.0.1", port: agent.port, localAddress });
    socket.on("error", () => {}); // a reset is one way for the agent to close it
    socket.resume(); // read, or an orderly close (FIN) is never seen
    socket.once("connect", () => resolve(socket));
    socket.once("close", () => reject(new Error("closed before connecting")));
  });
}

/** Resolves when the socket closes; rejects after the bound. */
function closed(socket: Socket, what: string, boundMs = BOUND_MS): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: still open after ${boundMs} ms`)), boundMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A completed TLS 1.3 handshake, as `name` (or with no client certificate), that then sends nothing. */
function handshake(agent: TestAgent, name: string | undefined, localAddress = "127.0.0.1"): Promise<TLSSocket> {
  const files = filesFor(agent.pkiDir, name);
  return new Promise((resolve, reject) => {
    const tcp = connectTcp({ host: "127.0.0.1", port: agent.port, localAddress });
    const socket = connectTls({ socket: tcp, servername: "localhost", ALPNProtocols: ["h2"], ca: files.ca, cert: files.cert, key: files.key });
    socket.on("error", reject);
    socket.resume(); // read (and drop) what the agent sends, or its close is never seen
    socket.once("secureConnect", () => {
      socket.removeListener("error", reject);
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

async function metrics(agent: TestAgent): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`);
  return parseExposition(await response.text());
}

/** Polls the metrics until `ok` holds (the agent's view of its connections settles asynchronously). */
async function metricsWhen(agent: TestAgent, ok: (samples: Sample[]) => boolean, what: string): Promise<Sample[]> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const samples = await metrics(agent);
    if (ok(samples)) return samples;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${BOUND_MS} ms: ${JSON.stringify(find(samples, "jobworker_connections"))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const open = (samples: Sample[], state: string) => valueOf(samples, "jobworker_connections", { state });
const refused = (samples: Sample[], reason: string) => valueOf(samples, "jobworker_connections_refused_total", { reason });
const cut = (samples: Sample[], reason: string) => valueOf(samples, "jobworker_connections_closed_total", { reason });
const tlsFailures = (samples: Sample[]) => find(samples, "jobworker_tls_handshake_failures_total").reduce((sum, s) => sum + s.value, 0);

async function adminStarts(agent: TestAgent): Promise<void> {
  const admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
  try {
    const started = await call<object, StartResponse__Output>(admin, "Start", { commandName: "true" });
    expect(started.jobID).to.have.length(16);
  } finally {
    admin.close();
  }
}

function stopAgent(get: () => TestAgent | undefined): () => Promise<void> {
  return async () => {
    const agent = get();
    if (!agent) return;
    await agent.stop();
    agent.cleanup();
  };
}

describe("connections: the handshake timeout", () => {
  let agent: TestAgent;
  before(async () => (agent = await agentWith("handshakeTimeout: 1s, maxUnauthenticatedPerAddress: 2")));
  after(stopAgent(() => agent));

  it("closes a TCP connection that never starts a handshake", async () => {
    await closed(await silent(agent), "silent connection");
    expect(cut(await metrics(agent), "handshake_timeout")).to.be.at.least(1);
  });

  it("closes a connection whose handshake stalls after the first bytes", async () => {
    const socket = await silent(agent);
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // a ClientHello record begins, and never goes on
    await closed(socket, "stalled handshake");
  });

  it("closes a session that completed the handshake without a client certificate", async () => {
    await closed(await handshake(agent, undefined), "session without a certificate");
  });

  it("frees an address's slots when its connections time out", async () => {
    const held = [await silent(agent, "127.0.0.2"), await silent(agent, "127.0.0.2")];
    await Promise.all(held.map((s, i) => closed(s, `silent connection ${i}`)));
    const admin = await handshake(agent, "admin", "127.0.0.2");
    expect(admin.authorized, "the agent's certificate verified").to.equal(true);
    expect(admin.localAddress).to.equal("127.0.0.2");
    admin.destroy();
  });
});

describe("connections: sessions without a verified client certificate", () => {
  let agent: TestAgent;
  before(async () => (agent = await startTestAgent()));
  after(stopAgent(() => agent));

  it("get UNAUTHENTICATED before any of the request is read: a 4 MiB message that never finishes is answered at once", async () => {
    const { ca } = filesFor(agent.pkiDir);
    const session = connectHttp2(`https://127.0.0.1:${agent.port}`, { ca, servername: "localhost" });
    session.on("error", () => {});
    try {
      const stream = session.request({ ":method": "POST", ":path": "/workerservice.WorkerService/Start", "content-type": "application/grpc", te: "trailers" });
      stream.on("error", () => {});
      // A gRPC frame header announcing 4 MiB - 1 KiB, then 64 KiB of it; the rest never comes.
      const header = Buffer.alloc(5);
      header.writeUInt32BE(4 * 1024 * 1024 - 1024, 1);
      stream.write(Buffer.concat([header, Buffer.alloc(64 * 1024)]));
      // grpc-js alone would wait for the whole message (or, here, the handshake timeout); the agent answers now.
      const status = await new Promise<string | undefined>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no answer before the request was complete")), BOUND_MS);
        stream.once("response", (headers) => {
          clearTimeout(timer);
          resolve(headers["grpc-status"] as string | undefined);
        });
      });
      expect(status).to.equal(String(grpc.status.UNAUTHENTICATED));
    } finally {
      session.destroy();
    }
  });
});

describe("connections: the idle timeout", () => {
  let agent: TestAgent;
  before(async () => (agent = await agentWith("idleTimeout: 1s")));
  after(stopAgent(() => agent));

  it("closes an authenticated HTTP/2 session with no RPC, with a GOAWAY", async () => {
    const files = filesFor(agent.pkiDir, "admin");
    const session = connectHttp2(`https://127.0.0.1:${agent.port}`, { ca: files.ca, cert: files.cert, key: files.key, servername: "localhost" });
    session.on("error", () => {});
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code)));
    await closed(session.socket as unknown as Socket, "idle session");
    expect(await goaway).to.equal(0); // NO_ERROR: a graceful close
    expect(cut(await metrics(agent), "idle")).to.be.at.least(1);
  });

  it("a client whose idle session was closed makes its next call on a new connection", async () => {
    const admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
    try {
      await call(admin, "AgentInfo", {});
      const channel = admin.getChannel();
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + BOUND_MS;
        const watch = () => {
          const state = channel.getConnectivityState(false);
          if (state !== grpc.connectivityState.READY) return resolve(); // the GOAWAY took it out of READY
          channel.watchConnectivityState(state, deadline, (err) => (err ? reject(err) : watch()));
        };
        watch();
      });
      await call(admin, "AgentInfo", {});
    } finally {
      admin.close();
    }
  });

  it("closes an authenticated TLS session that never speaks HTTP/2", async () => {
    await closed(await handshake(agent, "admin"), "silent TLS session");
  });

  it("never cuts a GetOutput stream in flight, however long it runs", async () => {
    // The job writes "second" only once another, idle session has been cut:
    // by then the stream has been open for longer than the idle timeout.
    const flagDir = mkdtempSync(join(tmpdir(), "jobagent-conn-flag-"));
    chmodSync(flagDir, 0o755); // jobs run as a uid of their own under a root agent
    const flag = join(flagDir, "go");
    const admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
    try {
      const script = `echo first; while [ ! -e ${flag} ]; do sleep 0.05; done; echo second`;
      const { jobID } = await call<object, StartResponse__Output>(admin, "Start", { commandName: "sh", arguments: ["-c", script] });
      const stream = admin.GetOutput({ jobID });
      const parts: Buffer[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        stream.on("error", reject);
        stream.on("end", resolve);
      });
      const first = new Promise<void>((resolve) =>
        stream.on("data", (m: { output: Buffer }) => {
          parts.push(m.output);
          if (Buffer.concat(parts).toString().startsWith("first\n")) resolve();
        }),
      );
      await first;
      await closed(await handshake(agent, "admin"), "idle session beside the stream");
      writeFileSync(flag, "");
      await ended;
      expect(Buffer.concat(parts).toString()).to.equal("first\nsecond\n");
    } finally {
      admin.close();
      rmSync(flagDir, { recursive: true, force: true });
    }
  });
});

describe("connections: the cap on unauthenticated connections", () => {
  let agent: TestAgent;
  before(async () => (agent = await agentWith("handshakeTimeout: 10m, maxUnauthenticated: 3, maxUnauthenticatedPerAddress: 3")));
  after(stopAgent(() => agent));

  it("when full, a new connection closes the oldest unauthenticated one: an admin still gets in", async () => {
    const held = [await silent(agent, "127.0.0.2"), await silent(agent, "127.0.0.2"), await silent(agent, "127.0.0.2")];
    await metricsWhen(agent, (s) => open(s, "unauthenticated") === 3, "3 unauthenticated connections");
    await adminStarts(agent);
    await closed(held[0]!, "the oldest silent connection");
    expect(held[1]!.closed || held[2]!.closed, "the newer silent connections stay").to.equal(false);
    expect(cut(await metrics(agent), "evicted")).to.equal(1);
    held.forEach((s) => s.destroy());
  });

  it("evicts from the address holding the most, not the oldest overall: a client elsewhere keeps its slot", async () => {
    await metricsWhen(agent, (s) => open(s, "unauthenticated") === 0, "the earlier test's connections gone");
    const elsewhere = await silent(agent, "127.0.0.3"); // the oldest
    const flood = [await silent(agent, "127.0.0.2"), await silent(agent, "127.0.0.2")];
    await metricsWhen(agent, (s) => open(s, "unauthenticated") === 3, "3 unauthenticated connections");
    flood.push(await silent(agent, "127.0.0.2"));
    await closed(flood[0]!, "the flood's oldest connection");
    expect(elsewhere.closed, "the connection from elsewhere stays").to.equal(false);
    [elsewhere, ...flood].forEach((s) => s.destroy());
  });
});

describe("connections: the cap per address", () => {
  let agent: TestAgent;
  before(async () => (agent = await agentWith("handshakeTimeout: 10m, maxUnauthenticatedPerAddress: 2")));
  after(stopAgent(() => agent));

  it("refuses an address over its cap while other addresses get in", async () => {
    const held = [await silent(agent, "127.0.0.2"), await silent(agent, "127.0.0.2")];
    await metricsWhen(agent, (s) => open(s, "unauthenticated") === 2, "2 unauthenticated connections");
    await closed(await silent(agent, "127.0.0.2"), "a third connection from the same address");
    const samples = await metrics(agent);
    expect(refused(samples, "max_unauthenticated_per_address")).to.equal(1);
    expect(tlsFailures(samples), "a refusal is not counted as a failed handshake").to.equal(0);
    expect(held.some((s) => s.closed)).to.equal(false);
    await adminStarts(agent); // from 127.0.0.1
    held.forEach((s) => s.destroy());
  });
});

describe("connections: the cap on open connections", () => {
  let agent: TestAgent;
  before(async () => (agent = await agentWith("handshakeTimeout: 10m, max: 3")));
  after(stopAgent(() => agent));

  it("refuses the connection past the cap when every open one is authenticated, and takes new ones once some close", async () => {
    const held = [await handshake(agent, "admin", "127.0.0.2"), await handshake(agent, "admin", "127.0.0.3"), await handshake(agent, "admin", "127.0.0.4")];
    await metricsWhen(agent, (s) => open(s, "authenticated") === 3, "3 authenticated connections");
    await closed(await silent(agent, "127.0.0.5"), "the fourth connection");
    expect(refused(await metrics(agent), "max_connections")).to.equal(1);
    expect(held.some((s) => s.closed)).to.equal(false);
    held.forEach((s) => s.destroy());
    await metricsWhen(agent, (s) => open(s, "authenticated") === 0, "the held connections gone");
    await adminStarts(agent);
  });

  it("at the cap, a new connection evicts an unauthenticated one rather than being refused: strangers cannot fill it", async () => {
    const held = [await handshake(agent, "admin", "127.0.0.2"), await handshake(agent, "admin", "127.0.0.3")];
    const stranger = await silent(agent, "127.0.0.4");
    await metricsWhen(agent, (s) => open(s, "authenticated") === 2 && open(s, "unauthenticated") === 1, "2 authenticated and 1 unauthenticated connections");
    const admin = await handshake(agent, "admin", "127.0.0.5"); // the fourth: makes room by evicting the stranger
    await closed(stranger, "the stranger's connection");
    expect(admin.closed).to.equal(false);
    expect(held.some((s) => s.closed)).to.equal(false);
    [admin, ...held].forEach((s) => s.destroy());
  });
});
