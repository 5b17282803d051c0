// Benchmark: job output fan-out through the agent (GetOutput over gRPC/mTLS)
// against two baselines measured in the same run on the same bytes:
//   file: reading the spool file straight from disk (the ceiling for any server)
//   tls:  a bare node:tls TLS 1.3 server piping that file to the same readers
// (The suite, npm run bench, has the same against a TLS server process, with RSS: bench/scenarios/fanout.ts.)
// Run on demand: npm run build && npm run bench:fanout -- [MiB] [readers]
// WINDOW=<bytes> sets the readers' HTTP/2 receive window (grpc-node.flow_control_window).
//
// Measured 2026-11-23 on the 2-core dev machine, 100 MiB x 10 readers (agent and
// readers share the 2 cores): file 694 MiB/s, tls 518 MiB/s, agent 96 MiB/s
// (0.18 of bare TLS); with a 1 MiB client window 125-135 MiB/s (0.24-0.29).
// 256 KiB GetOutput messages instead of 64 KiB changed nothing measurable.
import { createReadStream, readFileSync } from "node:fs";
import { createServer, connect } from "node:tls";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { StartResponse__Output } from "../proto/generated/workerservice/StartResponse.js";
import { startTestAgent } from "../test/helpers/agent.js";
import { call, filesFor, readOutput, workerClient } from "../test/helpers/client.js";

const mib = Number(process.argv[2] ?? 100);
const readers = Number(process.argv[3] ?? 10);
const bytes = mib * 1024 * 1024;

async function timed(label: string, run: () => Promise<number>): Promise<number> {
  const began = process.hrtime.bigint();
  const total = await run();
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const rate = total / 2 ** 20 / seconds;
  console.log(`${label.padEnd(34)} ${(total / 2 ** 20).toFixed(0).padStart(6)} MiB in ${seconds.toFixed(2).padStart(6)} s = ${rate.toFixed(0).padStart(5)} MiB/s`);
  return rate;
}

const agent = await startTestAgent();
try {
  const files = filesFor(agent.pkiDir, "admin");
  const admin = workerClient(agent.address, files);
  const { jobID, id } = await call<object, StartResponse__Output>(admin, "Start", { commandName: "head", arguments: ["-c", String(bytes), "/dev/urandom"] });
  await readOutput(admin, { jobID }); // let the job finish: every run reads the same finished spool
  const spool = join(agent.stateDir, "jobs", id, "output");

  const fileRate = await timed(`file: ${readers} sequential reads`, async () => {
    let total = 0;
    for (let i = 0; i < readers; i++) for await (const chunk of createReadStream(spool, { highWaterMark: 64 * 1024 })) total += (chunk as Buffer).length;
    return total;
  });

  const tlsRate = await timed(`tls: ${readers} concurrent readers`, async () => {
    const server = createServer({ cert: readFileSync(join(agent.pkiDir, "server.crt")), key: readFileSync(join(agent.pkiDir, "server.key")), minVersion: "TLSv1.3", ciphers: "TLS_AES_256_GCM_SHA384" }, (socket) =>
      createReadStream(spool, { highWaterMark: 64 * 1024 }).pipe(socket),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const counts = await Promise.all(
      Array.from({ length: readers }, () =>
        new Promise<number>((resolve, reject) => {
          let n = 0;
          const socket = connect({ host: "127.0.0.1", port, ca: files.ca, servername: "localhost" });
          socket.on("data", (d: Buffer) => (n += d.length)).on("end", () => resolve(n)).on("error", reject);
        }),
      ),
    );
    server.close();
    return counts.reduce((a, b) => a + b, 0);
  });

  const grpcRate = await timed(`agent: ${readers} concurrent GetOutput`, async () => {
    const outputs = await Promise.all(
      Array.from({ length: readers }, (_, i) => {
        const client = workerClient(agent.address, files, { "bench.reader": i, ...(process.env.WINDOW ? { "grpc-node.flow_control_window": Number(process.env.WINDOW) } : {}) });
        return readOutput(client, { jobID }).finally(() => client.close());
      }),
    );
    return outputs.reduce((a, b) => a + b.length, 0);
  });

  console.log(`ratio agent/tls  = ${(grpcRate / tlsRate).toFixed(2)}  (gRPC + HTTP/2 framing cost over bare TLS)`);
  console.log(`ratio agent/file = ${(grpcRate / fileRate).toFixed(2)}`);
  admin.close();
} finally {
  await agent.stop();
  agent.cleanup();
}
