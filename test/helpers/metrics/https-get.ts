// One HTTPS GET with an optional client certificate, on a fresh connection
// (agent: false), so every request makes its own TLS handshake.
import { readFileSync } from "node:fs";
import { get } from "node:https";
import type { PemFiles } from "./scrape-pki.js";

export interface HttpsAnswer {
  status: number;
  body: string;
}

export function httpsGet(port: number, path: string, options: { caFile: string; client?: PemFiles; maxVersion?: "TLSv1.2"; headers?: Record<string, string> }): Promise<HttpsAnswer> {
  const client = options.client && { cert: readFileSync(options.client.certFile), key: readFileSync(options.client.keyFile) };
  return new Promise((resolve, reject) => {
    const req = get(
      { host: "127.0.0.1", servername: "localhost", port, path, ca: readFileSync(options.caFile), agent: false, maxVersion: options.maxVersion, headers: options.headers, ...client },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
  });
}
