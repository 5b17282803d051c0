// Client side of the bare TLS anchor (tls-file-server.ts), and starting/stopping it.
import { spawn } from "node:child_process";
import { connect } from "node:tls";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { ClientFiles } from "../../test/helpers/client.js";

const SERVER_MAIN = fileURLToPath(new URL("./tls-file-server.js", import.meta.url));

export interface TlsAnchor {
  port: number;
  pid: number;
  /** Reads FILE over one new connection; resolves with the bytes received. */
  read(file: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startTlsAnchor(pki: { ca: string; cert: string; key: string }, client: ClientFiles): Promise<TlsAnchor> {
  const child = spawn(process.execPath, [SERVER_MAIN, pki.ca, pki.cert, pki.key], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
    void exited.then(() => reject(new Error("TLS anchor server exited before listening")));
  });
  return {
    port,
    pid: child.pid!,
    read: (file) =>
      new Promise<number>((resolve, reject) => {
        let n = 0;
        const socket = connect({ host: "127.0.0.1", port, ca: client.ca, cert: client.cert, key: client.key, servername: "localhost", minVersion: "TLSv1.3" }, () =>
          socket.write(`${file}\n`),
        );
        socket.on("data", (d: Buffer) => (n += d.length)).on("end", () => resolve(n)).on("error", reject);
      }),
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
