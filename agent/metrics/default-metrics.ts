// prom-client's default process and Node.js metrics, made clean for
// `promtool check metrics`: prom-client exports three gauges named *_total
// (nodejs_active_handles_total, _requests_total, _resources_total), and in
// Prometheus' naming _total marks a counter. collectDefaultMetrics() cannot
// leave metrics out, so each of the three is taken out of the registry and
// the same value is exported as a gauge named *_all. The per-type families
// (nodejs_active_handles{type} ...) stay as they are; their sum() is absent,
// not 0, while there are none of any type, and leaves out handles prom-client
// cannot name (no constructor): the *_all values are always there and whole.
import { Gauge, collectDefaultMetrics, type Registry } from "prom-client";

/** prom-client's name -> the agent's name for the same value. */
export const RENAMED_DEFAULT_METRICS: Readonly<Record<string, string>> = {
  nodejs_active_handles_total: "nodejs_active_handles_all",
  nodejs_active_requests_total: "nodejs_active_requests_all",
  nodejs_active_resources_total: "nodejs_active_resources_all",
};

const HELP: Readonly<Record<string, string>> = {
  nodejs_active_handles_all: "Active libuv handles, all types.",
  nodejs_active_requests_all: "Active libuv requests, all types.",
  nodejs_active_resources_all: "Resources keeping the event loop alive, all types.",
};

export function registerDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const [from, to] of Object.entries(RENAMED_DEFAULT_METRICS)) renameGauge(registry, from, to);
}

/**
 * Re-exports a default gauge under another name, reading the original at
 * scrape time so the value comes from prom-client's own source. A metric this
 * prom-client version or Node.js lacks (getActiveResourcesInfo is Node >= 17.3)
 * is left absent rather than invented.
 */
function renameGauge(registry: Registry, from: string, to: string): void {
  const original = registry.getSingleMetric(from);
  if (!original) return;
  registry.removeSingleMetric(from);
  new Gauge({
    name: to,
    help: `${HELP[to]} (prom-client's ${from}, renamed: _total belongs to counters.)`,
    registers: [registry],
    async collect() {
      const { values } = await original.get();
      this.set(values[0]?.value ?? 0);
    },
  });
}
