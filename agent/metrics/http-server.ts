// The metrics and health listener, separate from the gRPC port (scrapers and
// kubelet probes have no client certificate): /metrics in the Prometheus text
// format, /healthz (the process serves) and /readyz (the gRPC server is bound
// and not shutting down). Plain HTTP, or HTTPS (TLS 1.3, as the gRPC side)
// when given a certificate; /metrics may be guarded (scrape-auth.ts).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Refusal } from "./scrape-auth.js";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  /** "host:port", "[::1]:port" or ":port" (all interfaces); port 0 picks a free one. */
  listen: string;
  registry: Registry;
  isReady: () => boolean;
  /** clientCa: ask every client for a certificate and verify it against this CA (the guard decides what a missing one means). */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  /** Says who may read /metrics; absent: anyone who can connect. */
  guard?: { check(req: IncomingMessage): Refusal | undefined };
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(options.listen);
  const handler = (req: IncomingMessage, res: ServerResponse) => void respond(req, res, options);
  const server: Server = options.tls ? createHttpsServer(httpsOptions(options.tls), handler) : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // Prometheus keeps its connection alive between scrapes
      }),
  };
}

function httpsOptions(tls: NonNullable<MetricsServerOptions["tls"]>) {
  const clientCerts = tls.clientCa && { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false };
  return { cert: tls.cert, key: tls.key, minVersion: "TLSv1.3" as const, ...clientCerts };
}

async function respond(req: IncomingMessage, res: ServerResponse, options: MetricsServerOptions): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n", { Allow: "GET, HEAD" });
  switch (path) {
    case "/metrics": {
      const refusal = options.guard?.check(req);
      if (refusal) return send(res, refusal.status, refusal.body, refusal.headers);
      try {
        const body = await options.registry.metrics();
        return send(res, 200, body, { "Content-Type": options.registry.contentType });
      } catch (err) {
        return send(res, 500, `collecting metrics failed: ${(err as Error).message}\n`);
      }
    }
    case "/healthz":
      return send(res, 200, "ok\n");
    case "/readyz":
      return options.isReady() ? send(res, 200, "ok\n") : send(res, 503, "not ready\n");
    default:
      return send(res, 404, "not found\n");
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export function parseListenAddress(listen: string): { host: string | undefined; port: number } {
  const colon = listen.lastIndexOf(":");
  const portText = listen.slice(colon + 1);
  const port = Number(portText);
  if (colon < 0 || !/^\d+$/.test(portText) || port > 65535) throw new Error(`metrics listen address "${listen}": want host:port`);
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  return { host: host === "" ? undefined : host, port };
}
