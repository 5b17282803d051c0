// The metrics listener as configured: HTTPS material, who may scrape, and the
// bearer token's live reload. Kept apart from agent.ts so that the agent only
// starts it, reloads it and closes it.
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { AgentSettings } from "../config/settings.js";
import { readBearerToken, type TokenDigest } from "./bearer-token.js";
import { startMetricsServer, type MetricsServer } from "./http-server.js";
import { ScrapeGuard } from "./scrape-auth.js";

type MetricsSettings = AgentSettings["metrics"];

export interface MetricsListener {
  port: number;
  /** Reads the token next settings name (throws on a bad file, before anything changed)... */
  readToken(next: MetricsSettings): Promise<TokenDigest | undefined>;
  /** ...and then puts it in place. */
  setToken(token: TokenDigest | undefined, next: MetricsSettings): void;
  close(): Promise<void>;
}

export async function startMetricsListener(
  settings: AgentSettings, registry: Registry, isReady: () => boolean, logger: Logger,
): Promise<MetricsListener> {
  const { metrics } = settings;
  const guard = new ScrapeGuard(await readToken(metrics), metrics.tls?.clientCAFile ? { allowedNames: metrics.tls.allowedClientNames ?? [] } : undefined);
  const server: MetricsServer = await startMetricsServer({ listen: metrics.listen, registry, isReady, tls: await tlsMaterial(metrics), guard });
  const scrapers = describeScrapers(metrics);
  logger.info({ listen: metrics.listen, port: server.port, tls: Boolean(metrics.tls), scrapers }, "metrics listening");
  warnIfOpen(guard, logger);
  if (metrics.tls?.clientCAFile && metrics.tls.clientCAFile === settings.tls?.caFile && !metrics.tls.allowedClientNames) {
    logger.warn("metrics.tls.clientCAFile is the agent's CA and allowedClientNames is unset: every jobctl user's certificate may scrape every job's metrics");
  }
  return {
    port: server.port,
    readToken,
    setToken(token, next) {
      guard.setToken(token);
      warnIfOpen(guard, logger);
      if (token) logger.info({ bearerTokenFile: next.bearerTokenFile }, "metrics bearer token (re)loaded");
    },
    close: () => server.close(),
  };
}

function readToken(metrics: MetricsSettings): Promise<TokenDigest | undefined> {
  return metrics.bearerTokenFile ? readBearerToken(metrics.bearerTokenFile) : Promise.resolve(undefined);
}

async function tlsMaterial(metrics: MetricsSettings) {
  if (!metrics.tls) return undefined;
  const { certFile, keyFile, clientCAFile } = metrics.tls;
  const [cert, key, clientCa] = await Promise.all([readFile(certFile), readFile(keyFile), clientCAFile ? readFile(clientCAFile) : undefined]);
  return { cert, key, clientCa };
}

function describeScrapers(metrics: MetricsSettings): string {
  const required = [metrics.bearerTokenFile && "bearer token", metrics.tls?.clientCAFile && "client certificate"].filter(Boolean);
  return required.length > 0 ? `${required.join(" and ")} required` : "anyone who can connect";
}

/** The default keeps scrapers working unchanged; it must not be silent about what it shows. */
function warnIfOpen(guard: ScrapeGuard, logger: Logger): void {
  if (!guard.open) return;
  logger.warn(
    "metrics are served without authentication: any process that can connect (on loopback: every job on this host) can read job ids and owners; set metrics.bearerTokenFile or metrics.tls.clientCAFile",
  );
}
