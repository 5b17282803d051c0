// deploy/Dockerfile, built for real with Debian 12's buildah and smoke-tested:
// the built image's own agent, run the way the DaemonSet runs it. No image
// registry is reachable from these machines, so the base is a local stand-in
// for node:20-bookworm-slim (scripts/local-base-image.sh: debootstrap + the
// host's Node 20); every step of the Dockerfile itself runs, its apt-get
// against Debian's mirror and its npm ci against the npm registry.
import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { imageConfig, npmAccessMounts, openContainer, privateStore, requireTool, runOk, treeBytes, type Container, type Store } from "./buildah.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BASE = "localhost/jobworker-test-base:node20-bookworm";
const MiB = 1024 * 1024;

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template: { spec: { containers: { name: string; image: string }[] } } };
}

/** Read, never copied: the DaemonSet's config changes with the deployment work, and the test must follow it. */
function daemonSet(): { agentYaml: string; image: string } {
  const objects = parseAllDocuments(readFileSync(join(ROOT, "deploy/daemonset.yaml"), "utf8")).map((d) => d.toJS() as K8sObject);
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "jobagent-config");
  const container = objects.find((o) => o.kind === "DaemonSet")?.spec?.template.spec.containers.find((c) => c.name === "jobagent");
  if (!configMap?.data?.["agent.yaml"] || !container) throw new Error("deploy/daemonset.yaml: no ConfigMap jobagent-config with agent.yaml, or no jobagent container");
  return { agentYaml: configMap.data["agent.yaml"], image: container.image };
}

const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };

describe("deploy/Dockerfile: the image, built with buildah and smoke-tested", function () {
  let store: Store;
  let agent: Container;
  const { agentYaml, image } = daemonSet();

  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // buildah's store, chroot isolation and debootstrap need root
    requireTool("buildah", "buildah");
    requireTool("debootstrap", "debootstrap");
    this.timeout(20 * 60_000);
    store = privateStore();
    const t0 = Date.now();
    await runOk("bash", [join(ROOT, "scripts/local-base-image.sh"), BASE], { env: store.env, cwd: ROOT });
    const t1 = Date.now();
    const build = ["build", "--isolation", "chroot", "--pull=never", "--build-arg", `BASE=${BASE}`, ...(await npmAccessMounts(store.dir))];
    await runOk("buildah", [...build, "-f", "deploy/Dockerfile", "-t", image, "."], { env: store.env, cwd: ROOT });
    console.log(`      cold cache: base image ${((t1 - t0) / 1000).toFixed(0)} s, deploy/Dockerfile ${((Date.now() - t1) / 1000).toFixed(0)} s`);
    agent = await openContainer(store, image);
  });

  after(async function () {
    this.timeout(5 * 60_000);
    await agent?.remove();
    await store?.remove();
  });

  it("the DaemonSet's image reference carries this package's version", function () {
    expect(image).to.equal(`jobworker/jobagent:${packageJson.version}`);
  });

  it("`--version` of the image's agent prints package.json's version", async function () {
    const ran = await agent.run(["--version"]);
    expect(ran.status, ran.stderr).to.equal(0);
    expect(ran.stdout.trim()).to.equal(packageJson.version);
  });

  it("the DaemonSet's ConfigMap agent.yaml, mounted where the image's CMD reads it, passes `--validate`", async function () {
    const { cmd } = await imageConfig(store, image);
    expect(cmd).to.deep.equal(["--config", "/etc/jobworker/agent.yaml"]);
    const file = join(store.dir, "agent.yaml");
    writeFileSync(file, agentYaml);
    const ran = await agent.run([...cmd, "--validate"], [`${file}:/etc/jobworker/agent.yaml:ro`]);
    expect(ran.status, ran.stderr).to.equal(0);
    expect(ran.stdout.trim()).to.equal("/etc/jobworker/agent.yaml: valid");
  });

  it("the same config with one unknown key is refused: exit 2, the key and its line named", async function () {
    const file = join(store.dir, "agent-invalid.yaml");
    const text = `${agentYaml.trimEnd()}\nnotASetting: true\n`;
    writeFileSync(file, text);
    const ran = await agent.run(["--config", "/etc/jobworker/agent.yaml", "--validate"], [`${file}:/etc/jobworker/agent.yaml:ro`]);
    expect(ran.status).to.equal(2);
    expect(ran.stderr).to.include(`line ${text.trimEnd().split("\n").length}: /notASetting: unknown key`);
  });

  it("ships the runtime dependencies, and no devDependency, test, bench, source tree, compiler or build-time npm access", async function () {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([, p]) => p.dev).map(([path]) => path);
    expect(devOnly, "the lock marks devDependencies").to.include.members(["node_modules/mocha", "node_modules/typescript", "node_modules/esbuild"]);
    const root = agent.root;
    const app = join(root, "opt/jobworker");
    expect(devOnly.filter((path) => existsSync(join(app, path, "package.json"))), "dev-only packages in the image").to.deep.equal([]);
    const runtime = Object.keys(packageJson.dependencies);
    expect(runtime.filter((name) => !existsSync(join(app, "node_modules", name, "package.json"))), "missing runtime dependencies").to.deep.equal([]);
    const helpers = ["jobworker-monitor", "jobworker-lock", "jobworker-pidwatch", "jobworker-launcher"];
    expect(helpers.filter((h) => !existsSync(join(app, "dist/bin", h))), "missing C helpers").to.deep.equal([]);
    const absent = ["opt/jobworker/test", "opt/jobworker/bench", "opt/jobworker/dist/test", "opt/jobworker/dist/bench", "opt/jobworker/.git", "opt/jobworker/agent", "src", "usr/bin/gcc", "usr/bin/cc", "root/.npmrc", "run/host-npm-ca.crt"];
    expect(absent.filter((path) => existsSync(join(root, path))), "present but should not be").to.deep.equal([]);
  });

  it("adds at most 64 MiB to its base", async function () {
    const base = await openContainer(store, BASE);
    try {
      const [baseBytes, imageBytes] = [await treeBytes(base.root), await treeBytes(agent.root)];
      console.log(`      image ${(imageBytes / MiB).toFixed(0)} MiB unpacked: base ${(baseBytes / MiB).toFixed(0)} MiB + ${((imageBytes - baseBytes) / MiB).toFixed(1)} MiB`);
      expect(imageBytes - baseBytes).to.be.at.most(64 * MiB);
    } finally {
      await base.remove();
    }
  });
});
