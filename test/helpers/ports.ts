// For the few servers that cannot be told to listen on port 0 and report the
// port they got (Prometheus, a jobagent under systemd whose unit is written
// first): a port free right now, which they bind a moment later.
import { createServer } from "node:net";

/** A port free on 127.0.0.1 right now (bound on 0, read back, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
