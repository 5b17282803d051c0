// The bare TLS anchor: a node:tls server as its own process (so its RSS is its own),
// TLS 1.3 only, TLS_AES_256_GCM_SHA384 only, client certificates required (like the
// agent). A client sends one line, a file's path, and gets the file's bytes
// (createReadStream's 64 KiB reads, as a plain Node file server does; GetOutput's
// messages are 128 KiB since issue 10's second part), then the end.
// Run: node tls-file-server.js CA CERT KEY  -> prints {"port":N} on stdout.
import { createReadStream, readFileSync } from "node:fs";
import { createServer } from "node:tls";
import type { AddressInfo } from "node:net";

const [ca, cert, key] = process.argv.slice(2).map((f) => readFileSync(f));
const server = createServer(
  { ca, cert, key, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3", maxVersion: "TLSv1.3", ciphers: "TLS_AES_256_GCM_SHA384" },
  (socket) => {
    let line = "";
    const onData = (d: Buffer): void => {
      line += d.toString();
      const nl = line.indexOf("\n");
      if (nl < 0) return;
      socket.off("data", onData);
      const stream = createReadStream(line.slice(0, nl), { highWaterMark: 64 * 1024 });
      stream.on("error", () => socket.destroy());
      stream.pipe(socket);
    };
    socket.on("data", onData);
    socket.on("error", () => {});
  },
);
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
process.on("SIGTERM", () => process.exit(0));
