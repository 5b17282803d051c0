// deploy/prometheus/ as an operator would use it: promtool checks the
// configurations and rules and runs the rules' unit tests (and shows those
// tests catch wrong rules), and a real Prometheus runs each shipped
// configuration against a real jobagent: static targets with the bearer
// token, over HTTPS with a client certificate, and the Kubernetes one's
// relabeling on the targets pod discovery makes of deploy/daemonset.yaml's pods.
//
// Debian's promtool and Prometheus are built without Kubernetes discovery
// (NEWS.Debian: "Kubernetes support has been completely removed"): they refuse
// kubernetes_sd_configs as an unknown field. For kubernetes.yml the tests swap
// that one block for file_sd_configs fed with what role: pod produces
// (pod-role-targets.ts) and keep everything else, relabel_configs included, as shipped.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { createAgentMetrics } from "../../agent/metrics/agent-metrics.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { tempDir } from "../helpers/tmp.js";
import { eventually } from "../helpers/wait.js";
import { podRoleTargetGroups, type PodSpec } from "../helpers/metrics/pod-role-targets.js";
import { startPrometheusWithConfig, type PrometheusServer } from "../helpers/metrics/prometheus-server.js";
import { httpsGet } from "../helpers/metrics/https-get.js";
import { makeScrapePki, writeTokenFile, type ScrapePki } from "../helpers/metrics/scrape-pki.js";
import {
  PROMETHEUS_DEPLOY_DIR, RULES_FILE, RULES_TEST_FILE, SHIPPED_CONFIGS, fastGlobals, readShipped, writeEdited, type PromDoc,
} from "../helpers/metrics/shipped-prometheus.js";

interface Run {
  status: number;
  output: string;
}

/** promtool (Debian package prometheus, installed by .ci/run); missing, it fails loudly. */
function promtool(...args: string[]): Run {
  const result = spawnSync("promtool", args, { encoding: "utf8", timeout: 60_000 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(missing ? "promtool not found on PATH: install the Debian package `prometheus` (.ci/run does)" : `promtool: ${result.error.message}`);
  }
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

const TOKEN = "shipped-config-scrape-token-0123456789";

/** Every file a scrape config names, pointed at real ones: the token, and the scrape PKI's CA and "prometheus" client. */
function useFiles(doc: PromDoc, files: { token: string; pki: ScrapePki }): void {
  for (const job of doc.scrape_configs) {
    if (job.authorization?.credentials_file) job.authorization.credentials_file = files.token;
    if (job.tls_config) {
      job.tls_config.ca_file = files.pki.caFile;
      job.tls_config.cert_file = files.pki.clients.prometheus.certFile;
      job.tls_config.key_file = files.pki.clients.prometheus.keyFile;
    }
  }
}

/** kubernetes.yml with its discovery block replaced by file_sd_configs reading `file` (see the top). */
function kubernetesViaFileSd(doc: PromDoc, file: string): void {
  const job = doc.scrape_configs[0];
  expect(job.kubernetes_sd_configs, "kubernetes.yml discovers pods").to.deep.equal([{ role: "pod", namespaces: { names: [DAEMONSET.namespace] } }]);
  delete job.kubernetes_sd_configs;
  job.file_sd_configs = [{ files: [file], refresh_interval: "1s" }];
}

const DEBIAN_WITHOUT_KUBERNETES = "field kubernetes_sd_configs not found in type config.ScrapeConfig";

/** The pod deploy/daemonset.yaml makes: its namespace, template labels, annotations and containers. */
const DAEMONSET = (() => {
  const docs = parseAllDocuments(readFileSync(join(PROMETHEUS_DEPLOY_DIR, "..", "daemonset.yaml"), "utf8")).map((d) => d.toJS() as PromDoc);
  const ds = docs.find((d) => d?.kind === "DaemonSet");
  return {
    namespace: ds.metadata.namespace as string,
    labels: ds.spec.template.metadata.labels as Record<string, string>,
    annotations: ds.spec.template.metadata.annotations as Record<string, string>,
    containers: ds.spec.template.spec.containers as PodSpec["containers"],
  };
})();

function setStaticTargets(doc: PromDoc, targets: string[]): void {
  expect(doc.scrape_configs).to.have.length(1);
  doc.scrape_configs[0].static_configs = [{ targets }];
}

interface TargetsAnswer {
  data: {
    activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
    droppedTargets: { discoveredLabels: Record<string, string> }[];
  };
}

const targetsOf = async (prometheus: PrometheusServer) => ((await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as TargetsAnswer).data;

describe("deploy/prometheus: the shipped Prometheus configurations and rules", function () {
  const dir = tempDir("jobworker-shipped-prometheus-");
  let pki: ScrapePki;
  let tokenFile: string;
  before(async () => {
    pki = await makeScrapePki(dir.path);
    tokenFile = writeTokenFile(join(dir.path, "metrics.token"), TOKEN);
  });
  after(() => dir.cleanup());

  describe("promtool", () => {
    it("check config --syntax-only accepts each shipped configuration as shipped (kubernetes.yml: Debian's build lacks only its discovery block)", () => {
      for (const name of SHIPPED_CONFIGS) {
        const run = promtool("check", "config", "--syntax-only", join(PROMETHEUS_DEPLOY_DIR, name));
        if (name === "kubernetes.yml" && run.status !== 0) {
          expect(run.output, "the only complaint is Debian's missing Kubernetes discovery").to.include(DEBIAN_WITHOUT_KUBERNETES);
          const complaints = (run.output.match(/^ *line \d+: .*$/gm) ?? []).map((l) => l.replace(/^ *line \d+: /, ""));
          expect(complaints, "the only complaint").to.deep.equal([DEBIAN_WITHOUT_KUBERNETES]);
          continue;
        }
        expect(run, name).to.deep.include({ status: 0 });
        expect(run.output).to.include("SUCCESS");
      }
    });

    it("check config (files and rules checked, every lint) accepts each configuration once the files it names exist", () => {
      for (const name of SHIPPED_CONFIGS) {
        const copy = tempDir("jobworker-promtool-config-");
        try {
          const config = writeEdited(name, copy.path, (doc) => {
            useFiles(doc, { token: tokenFile, pki });
            if (name === "kubernetes.yml") kubernetesViaFileSd(doc, join(copy.path, "pods.json"));
          });
          const run = promtool("check", "config", "--lint=all", config);
          expect(run, name).to.deep.include({ status: 0 });
          expect(run.output, name).to.include(`Checking ${join(copy.path, RULES_FILE)}\n  SUCCESS: 11 rules found`);
        } finally {
          copy.cleanup();
        }
      }
    });

    it("check rules accepts jobagent-rules.yml: 3 recording and 8 alerting rules", () => {
      const run = promtool("check", "rules", "--lint=all", join(PROMETHEUS_DEPLOY_DIR, RULES_FILE));
      expect(run).to.deep.include({ status: 0 });
      expect(run.output).to.include("SUCCESS: 11 rules found");
      const rules = readShipped(RULES_FILE).groups.flatMap((g: PromDoc) => g.rules);
      expect(rules.filter((r: PromDoc) => r.record)).to.have.length(3);
      expect(rules.filter((r: PromDoc) => r.alert)).to.have.length(8);
    });

    it("test rules passes jobagent-rules.test.yml", () => {
      const run = promtool("test", "rules", join(PROMETHEUS_DEPLOY_DIR, RULES_TEST_FILE));
      expect(run.output).to.include("SUCCESS");
      expect(run.status, run.output).to.equal(0);
    });

    it("the unit tests catch every alert firing when it must not and staying silent when it must fire (both mutants fail)", () => {
      const alerts: string[] = readShipped(RULES_FILE).groups.flatMap((g: PromDoc) => g.rules).filter((r: PromDoc) => r.alert).map((r: PromDoc) => r.alert);
      const mutants = { "always fires": "vector(1)", "never fires": "vector(1) == 2" };
      for (const alert of alerts) {
        for (const [mutant, expr] of Object.entries(mutants)) {
          const copy = tempDir("jobworker-promtool-mutant-");
          try {
            const doc = readShipped(RULES_FILE);
            for (const rule of doc.groups.flatMap((g: PromDoc) => g.rules)) if (rule.alert === alert) rule.expr = expr;
            writeFileSync(join(copy.path, RULES_FILE), stringify(doc));
            copyFileSync(join(PROMETHEUS_DEPLOY_DIR, RULES_TEST_FILE), join(copy.path, RULES_TEST_FILE));
            const run = promtool("test", "rules", join(copy.path, RULES_TEST_FILE));
            expect(run.status, `${alert} ${mutant}: the tests still pass`).to.not.equal(0);
            expect(run.output, `${alert} ${mutant}`).to.include(`alertname: ${alert},`);
          } finally {
            copy.cleanup();
          }
        }
      }
    });

    it("the rules read only series the agent exports (and up)", () => {
      const exported = new Set(createAgentMetrics().registry.getMetricsAsArray().map((m) => m.name));
      const rules = readShipped(RULES_FILE).groups.flatMap((g: PromDoc) => g.rules);
      const recorded = new Set(rules.filter((r: PromDoc) => r.record).map((r: PromDoc) => r.record));
      const read = new Set<string>();
      for (const { expr } of rules) {
        const bare = String(expr).replace(/\{[^}]*\}/g, "").replace(/\[[^\]]*\]/g, ""); // no matchers, no ranges
        for (const [, name, call] of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) if (!call) read.add(name);
      }
      const keywords = new Set(["on", "by", "without", "ignoring", "group_left", "group_right", "and", "or", "unless"]);
      const series = [...read].filter((name) => !recorded.has(name) && !keywords.has(name) && !/^\d/.test(name));
      expect(series.length).to.be.greaterThan(5);
      for (const name of series) expect(name === "up" || exported.has(name), `${name} is not exported by the agent`).to.equal(true);
    });
  });

  describe("Prometheus running the shipped configurations against a real agent", () => {
    let agent: TestAgent | undefined;
    let prometheus: PrometheusServer | undefined;
    afterEach(async () => {
      await prometheus?.stop();
      prometheus = undefined;
      await agent?.stop();
      agent?.cleanup();
      agent = undefined;
    });

    async function agentWith(metrics: Record<string, unknown>): Promise<TestAgent> {
      const config = join(dir.path, "agent.yaml");
      writeFileSync(config, JSON.stringify({ apiVersion: "jobworker/v1", kind: "AgentConfig", metrics }));
      return startTestAgent({ args: ["--config", config] });
    }

    async function prometheusOn(name: string, edit: (doc: PromDoc) => void): Promise<PrometheusServer> {
      const config = writeEdited(name, dir.path, (doc) => {
        fastGlobals(doc);
        useFiles(doc, { token: tokenFile, pki });
        edit(doc);
      });
      return startPrometheusWithConfig(config);
    }

    it("static.yml: Prometheus scrapes the agent with the bearer token, labels it node, and evaluates the rules on its series", async () => {
      agent = await agentWith({ bearerTokenFile: tokenFile });
      const target = `127.0.0.1:${agent.metricsPort}`;
      prometheus = await prometheusOn("static.yml", (doc) => setStaticTargets(doc, [target]));

      const up = await prometheus.waitFor('up{job="jobagent"}', (r) => r.length === 1 && r[0].value === 1, 30_000);
      expect(up[0].metric).to.deep.equal({ __name__: "up", job: "jobagent", instance: target, node: "127.0.0.1" });
      // The rules file the configuration names is loaded and evaluates without errors.
      const rules = await prometheus.waitFor("count(jobworker_cgroup_mode)", (r) => r.length === 1, 30_000).then(async () => {
        const body = (await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string }[] }[] } };
        return body.data.groups;
      });
      expect(rules.map((g) => g.name)).to.have.members(["jobagent.rules", "jobagent.alerts"]);
      // This agent's resource control decides which way the cgroup alert must go: pending (its 15 minutes not yet up) or silent.
      const [mode] = await prometheus.query("jobworker_cgroup_mode == 1");
      const alert = 'ALERTS{alertname="JobworkerResourceControlUnavailable"}';
      if (mode.metric.mode === "unavailable") {
        const pending = await prometheus.waitFor(alert, (r) => r.length === 1, 30_000);
        expect(pending[0].metric).to.include({ alertstate: "pending", node: "127.0.0.1", instance: target, severity: "warning" });
      } else {
        expect(await prometheus.query(alert)).to.deep.equal([]);
      }
      for (const group of rules) for (const rule of group.rules) expect(rule.health, `${group.name}/${rule.name}`).to.not.equal("err");
      expect(await prometheus.query('ALERTS{alertname=~"JobagentDown|JobagentAbsent"}')).to.deep.equal([]);
    });

    it("static-tls.yml: Prometheus scrapes over TLS 1.3 with its client certificate and the token, where either alone is refused", async () => {
      agent = await agentWith({ bearerTokenFile: tokenFile, tls: { ...pki.server, clientCAFile: pki.caFile, allowedClientNames: ["prometheus"] } });
      const target = `localhost:${agent.metricsPort}`; // the name in the agent's server certificate
      prometheus = await prometheusOn("static-tls.yml", (doc) => setStaticTargets(doc, [target]));

      const up = await prometheus.waitFor('up{job="jobagent"}', (r) => r.length === 1 && r[0].value === 1, 30_000);
      expect(up[0].metric).to.include({ instance: target, node: "localhost" });
      const jobs = await prometheus.waitFor('count(jobworker_jobs{job="jobagent"})', (r) => r.length === 1, 30_000);
      expect(jobs[0].value).to.equal(5); // one series per job state
      // What Prometheus sends is needed whole: without the token, or without the certificate, /metrics is refused.
      const get = (client: boolean, token: boolean) => httpsGet(agent!.metricsPort!, "/metrics", {
        caFile: pki.caFile, client: client ? pki.clients.prometheus : undefined, headers: token ? { authorization: `Bearer ${TOKEN}` } : undefined,
      }).then((a) => a.status);
      expect({ both: await get(true, true), certificateOnly: await get(true, false), tokenOnly: await get(false, true) })
        .to.deep.equal({ both: 200, certificateOnly: 401, tokenOnly: 403 });
    });

    it("kubernetes.yml: of the pods discovery finds, only the DaemonSet's annotated jobagent pod is scraped, at the annotated port, with the token", async () => {
      agent = await agentWith({ bearerTokenFile: tokenFile });
      // deploy/daemonset.yaml's pod as the pod role sees it, on this host; only the port annotation is the test agent's.
      const agentPod: PodSpec = {
        name: "jobagent-x7k2p", namespace: DAEMONSET.namespace, nodeName: "node-a", podIP: "127.0.0.1", phase: "Running",
        labels: DAEMONSET.labels, annotations: { ...DAEMONSET.annotations, "prometheus.io/port": String(agent.metricsPort) }, containers: DAEMONSET.containers,
      };
      const others: PodSpec[] = [
        { ...agentPod, name: "someone-elses-app", labels: { "app.kubernetes.io/name": "other" } }, // annotated, but the token is not for it
        { ...agentPod, name: "jobagent-unannotated", annotations: {} },
        { ...agentPod, name: "jobagent-old", phase: "Succeeded" },
      ];
      const podsFile = join(dir.path, "pods.json");
      writeFileSync(podsFile, JSON.stringify([agentPod, ...others].flatMap(podRoleTargetGroups)));
      prometheus = await prometheusOn("kubernetes.yml", (doc) => kubernetesViaFileSd(doc, podsFile));

      const up = await prometheus.waitFor('up{job="jobagent"}', (r) => r.length === 1 && r[0].value === 1, 30_000);
      expect(up[0].metric).to.deep.equal({
        __name__: "up", job: "jobagent", instance: `127.0.0.1:${agent.metricsPort}`, node: "node-a", namespace: DAEMONSET.namespace, pod: "jobagent-x7k2p",
      });
      const { activeTargets, droppedTargets } = await targetsOf(prometheus);
      const ports = DAEMONSET.containers.flatMap((c) => c.ports ?? []).length;
      expect(ports, "the DaemonSet declares more than one port").to.be.greaterThan(1);
      expect(activeTargets, `one target for the pod's ${ports} container ports`).to.have.length(1);
      const dropped = droppedTargets.map((t) => t.discoveredLabels.__meta_kubernetes_pod_name);
      expect([...new Set(dropped)].sort()).to.deep.equal(others.map((p) => p.name).sort());
      const series = await prometheus.waitFor('count({__name__=~"jobworker_.+", pod="jobagent-x7k2p"})', (r) => r.length === 1 && r[0].value > 0, 30_000);
      console.log(`      relabeled and scraped: ${series[0].value} jobworker_ series from pod jobagent-x7k2p on node-a`);
    });

    it("kubernetes.yml: an IPv6 pod IP becomes a bracketed address with the annotated port", async () => {
      const pod: PodSpec = {
        name: "jobagent-v6", namespace: DAEMONSET.namespace, nodeName: "node-v6", podIP: "fd00::17", phase: "Running",
        labels: DAEMONSET.labels, annotations: DAEMONSET.annotations, containers: DAEMONSET.containers,
      };
      const podsFile = join(dir.path, "pods-v6.json");
      writeFileSync(podsFile, JSON.stringify(podRoleTargetGroups(pod)));
      prometheus = await prometheusOn("kubernetes.yml", (doc) => kubernetesViaFileSd(doc, podsFile));
      const active = await eventually("the IPv6 pod's target", async () => {
        const { activeTargets } = await targetsOf(prometheus!);
        return activeTargets.length > 0 && activeTargets;
      });
      expect(active.map((t) => t.labels)).to.deep.equal([
        { job: "jobagent", instance: `[fd00::17]:${DAEMONSET.annotations["prometheus.io/port"]}`, node: "node-v6", namespace: DAEMONSET.namespace, pod: "jobagent-v6" },
      ]);
    });
  });
});
