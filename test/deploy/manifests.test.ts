// Every Kubernetes manifest in deploy/ against the Kubernetes OpenAPI schema,
// with kubernetes-models' validators (generated from that schema, one per
// kind), plus unknown fields refused the way `kubectl --validate=strict` and
// kubeconform -strict refuse them (see strictErrors). The ConfigMap's embedded
// AgentConfig goes through the agent's own --validate.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, stringify } from "yaml";
import { AGENT_MAIN } from "../helpers/agent.js";
import { tempDir } from "../helpers/tmp.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const DEPLOY = join(REPO, "deploy");
/** Our own configuration format (AgentConfig): not a Kubernetes object. */
const OWN_API_VERSION = "jobworker/v1";

type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata?: { name?: string } };

interface Found {
  file: string;
  index: number;
  manifest: Manifest;
}

/** Every YAML document under deploy/ that names an apiVersion and a kind (others, e.g. a Prometheus configuration, are not Kubernetes objects). */
function deployManifests(dir = DEPLOY): Found[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return deployManifests(path);
    if (!/\.ya?ml$/.test(entry.name)) return [];
    return parseAllDocuments(readFileSync(path, "utf8"))
      .map((document, index) => {
        if (document.errors.length > 0) throw new Error(`${relative(REPO, path)} document ${index}: ${document.errors[0].message}`);
        return { file: relative(REPO, path), index, manifest: document.toJS() as Manifest };
      })
      .filter(({ manifest }) => manifest !== null && typeof manifest.apiVersion === "string" && typeof manifest.kind === "string");
  });
}

type ValidateModel = { prototype: { validate(this: unknown): void } };

/** kubernetes-models' class for apiVersion and kind ("apps/v1" DaemonSet -> kubernetes-models/apps/v1/DaemonSet). */
async function modelFor(manifest: Manifest): Promise<ValidateModel> {
  const module = `kubernetes-models/${manifest.apiVersion}/${manifest.kind}`;
  try {
    return ((await import(module)) as Record<string, ValidateModel>)[manifest.kind];
  } catch (err) {
    throw new Error(`no Kubernetes schema for ${manifest.apiVersion} ${manifest.kind} (${module}): ${(err as Error).message}`);
  }
}

/** Schema errors first; with none, the fields the schema does not declare. */
async function validationErrors(manifest: Manifest): Promise<string[]> {
  const model = await modelFor(manifest);
  const seen = new Observed();
  try {
    model.prototype.validate.call(seen.wrap(structuredClone(manifest), ""));
  } catch (err) {
    return [(err as Error).message];
  }
  return seen.unknownFields();
}

/**
 * Kubernetes' OpenAPI schema lists each object's fields but does not forbid
 * others (no additionalProperties: false): the API server drops them, and
 * strict validation refuses them. The schema's validator reads every field the
 * schema declares, and iterates the keys of maps (labels, ConfigMap data): a
 * key of an object it neither read nor iterated is a field the schema does not
 * have, as strict validation would say ("unknown field").
 */
class Observed {
  private readonly objects = new Map<string, { keys: string[]; read: Set<string>; iterated: boolean }>();

  wrap(value: unknown, path: string): unknown {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((item, i) => this.wrap(item, `${path}[${i}]`));
    const entry = { keys: Object.keys(value), read: new Set<string>(), iterated: false };
    this.objects.set(path, entry);
    const target = Object.fromEntries(Object.entries(value).map(([key, child]) => [key, this.wrap(child, path === "" ? key : `${path}.${key}`)]));
    return new Proxy(target, {
      get: (object, key, receiver) => {
        if (typeof key === "string") entry.read.add(key);
        return Reflect.get(object, key, receiver);
      },
      has: (object, key) => {
        if (typeof key === "string") entry.read.add(key);
        return Reflect.has(object, key);
      },
      ownKeys: (object) => {
        entry.iterated = true;
        return Reflect.ownKeys(object);
      },
    });
  }

  unknownFields(): string[] {
    return [...this.objects].flatMap(([path, { keys, read, iterated }]) =>
      iterated ? [] : keys.filter((key) => !read.has(key)).map((key) => `unknown field "${path === "" ? key : `${path}.${key}`}"`),
    );
  }
}

function jobagentValidate(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [AGENT_MAIN, "--config", file, "--validate"], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const manifests = deployManifests();
const kubernetesManifests = manifests.filter(({ manifest }) => manifest.apiVersion !== OWN_API_VERSION);
const daemonSet = () => structuredClone(kubernetesManifests.find(({ manifest }) => manifest.kind === "DaemonSet")!.manifest) as Manifest & DaemonSetShape;
type DaemonSetShape = { spec: { selector?: unknown; template: { spec: { containers: Record<string, unknown>[] } } } };
const container = (ds: DaemonSetShape) => ds.spec.template.spec.containers[0] as { ports: Record<string, unknown>[]; securityContext: Record<string, unknown> };

describe("deploy/ manifests against the Kubernetes OpenAPI schema (kubernetes-models)", () => {
  it("deploy/ holds the DaemonSet and the ConfigMap with the agent's configuration", () => {
    const kinds = kubernetesManifests.map(({ manifest }) => manifest.kind);
    expect(kinds).to.include.members(["DaemonSet", "ConfigMap"]);
  });

  for (const { file, index, manifest } of kubernetesManifests) {
    it(`${file} document ${index} (${manifest.kind} ${manifest.metadata?.name ?? ""}) is valid, with no unknown field`, async () => {
      expect(await validationErrors(manifest)).to.deep.equal([]);
    });
  }

  describe("a broken copy of the DaemonSet is rejected", () => {
    it("a field of the wrong type (containerPort as a string)", async () => {
      const ds = daemonSet();
      container(ds).ports[0].containerPort = "5000";
      expect((await validationErrors(ds)).join("\n")).to.match(/\/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/);
    });

    it("a field the schema does not have (a misspelt privileged, and hostPID put on the container)", async () => {
      const ds = daemonSet();
      container(ds).securityContext.privilegd = true;
      ds.spec.template.spec.containers[0].hostPID = true;
      expect(await validationErrors(ds)).to.have.members([
        'unknown field "spec.template.spec.containers[0].securityContext.privilegd"',
        'unknown field "spec.template.spec.containers[0].hostPID"',
      ]);
    });

    it("a missing required field (spec.selector)", async () => {
      const ds = daemonSet();
      delete ds.spec.selector;
      expect((await validationErrors(ds)).join("\n")).to.match(/\/spec must have required property selector/);
    });
  });
});

describe("the ConfigMap's agent.yaml against the agent's own validator", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => (dir = tempDir()));
  after(() => dir.cleanup());
  const agentYaml = () => {
    const configMap = kubernetesManifests.find(({ manifest }) => manifest.kind === "ConfigMap" && (manifest.data as Record<string, string> | undefined)?.["agent.yaml"]);
    return (configMap!.manifest.data as Record<string, string>)["agent.yaml"];
  };

  it("jobagent --validate accepts it as shipped", async () => {
    const file = join(dir.path, "agent.yaml");
    writeFileSync(file, agentYaml());
    expect(await jobagentValidate(file)).to.include({ code: 0, stdout: `${file}: valid\n` });
  });

  it("and refuses it (exit 2) with a wrong cgroup.root type, so the check can fail", async () => {
    const broken = parseAllDocuments(agentYaml())[0].toJS() as { cgroup: Record<string, unknown> };
    broken.cgroup.root = 5;
    const file = join(dir.path, "broken.yaml");
    writeFileSync(file, stringify(broken));
    const result = await jobagentValidate(file);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/\/cgroup\/root: got 5, must be string/);
  });
});
