// A real Prometheus server (the Debian binary) on loopback, scraping given
// targets every second, queried over its HTTP API. Never installed by the
// tests: .ci/run installs the Debian package `prometheus`; missing, this fails loudly.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../ports.js";
import { sleep, tempDir } from "../tmp.js";

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  url: string;
  /** An instant PromQL query. */
  query(expr: string): Promise<PromSample[]>;
  /** Polls `expr` until `accept` says yes; on timeout throws with the last answer and the scrape targets' health. */
  waitFor(expr: string, accept: (samples: PromSample[]) => boolean, timeoutMs: number): Promise<PromSample[]>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  readyTimeoutMs?: number;
  /** Scrape (and rule evaluation) interval, also the scrape timeout; default 1. Longer where a scrape may take over a second (a loaded VM under TCG). */
  scrapeIntervalSeconds?: number;
  /** More keys of the scrape config, e.g. scheme, authorization, tls_config (written as JSON, which YAML reads). */
  scrape?: Record<string, unknown>;
}

export async function startPrometheus(targets: string[], options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const dir = tempDir("jobworker-prometheus-");
  const config = join(dir.path, "prometheus.yml");
  const interval = options.scrapeIntervalSeconds ?? 1;
  writeFileSync(
    config,
    [
      `global: {scrape_interval: ${interval}s, scrape_timeout: ${interval}s, evaluation_interval: ${interval}s}`,
      "scrape_configs:",
      "- job_name: jobagent",
      `  static_configs: [{targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]}]`,
      ...Object.entries(options.scrape ?? {}).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
      "",
    ].join("\n"),
  );
  return launchPrometheus(dir, config, options.readyTimeoutMs);
}

/** A Prometheus on the caller's configuration file (e.g. a shipped one, its paths rewritten); its data in a fresh directory. */
export async function startPrometheusWithConfig(config: string, readyTimeoutMs?: number): Promise<PrometheusServer> {
  return launchPrometheus(tempDir("jobworker-prometheus-"), config, readyTimeoutMs);
}

async function launchPrometheus(dir: ReturnType<typeof tempDir>, config: string, readyTimeoutMs = 30_000): Promise<PrometheusServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    "prometheus",
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir.path, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-8192)); // the tail, for failure messages
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let spawnError: Error | undefined;
  child.once("error", (err) => (spawnError = err));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill("SIGTERM");
    if (child.pid !== undefined) await exited;
    dir.cleanup();
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError) {
      dir.cleanup();
      const missing = (spawnError as NodeJS.ErrnoException).code === "ENOENT";
      throw new Error(missing ? "prometheus not found on PATH: install the Debian package `prometheus` (.ci/run does)" : `prometheus: ${spawnError.message}`);
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode} before it was ready:\n${log}`);
    }
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within ${readyTimeoutMs} ms:\n${log}`);
    }
    await sleep(100);
  }

  const query = async (expr: string): Promise<PromSample[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== "success") throw new Error(`PromQL ${expr}: ${body.error}`);
    return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  return {
    url,
    query,
    async waitFor(expr, accept, timeoutMs) {
      const until = Date.now() + timeoutMs;
      let last: PromSample[] = [];
      while (Date.now() < until) {
        last = await query(expr);
        if (accept(last)) return last;
        await sleep(250);
      }
      const health = await fetch(`${url}/api/v1/targets`).then((r) => r.text(), (e: Error) => e.message);
      throw new Error(`PromQL ${expr}: no acceptable answer within ${timeoutMs} ms; last: ${JSON.stringify(last)}; targets: ${health}`);
    },
    stop,
  };
}

