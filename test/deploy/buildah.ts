// Debian 12's buildah (1.28, as root) with a container store of its own: a
// test never sees or leaves images in the machine's /var/lib/containers, and
// starts from a cold cache, as CI does. Containers run with chroot isolation,
// which needs no OCI runtime (Debian's buildah does not pull one in).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Store {
  /** The environment every buildah call (and scripts calling buildah) gets: CONTAINERS_STORAGE_CONF names this store. */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Removes every container and image, then the store. */
  remove(): Promise<void>;
}

/** Fails loudly, naming the package, when a tool is missing: CI installs them (.ci/run), so it cannot pass by skipping. */
export function requireTool(tool: string, debianPackage: string): void {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) throw new Error(`${tool} not found on PATH: apt-get install ${debianPackage} (.ci/run does)`);
}

export function privateStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), "jobworker-image-"));
  const conf = join(dir, "storage.conf");
  // overlay: native on these machines' ext4 (buildah info: "Native Overlay Diff: true"), and far faster than vfs.
  writeFileSync(conf, `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/graph"\nrunroot = "${dir}/run"\n`);
  const env = { ...process.env, CONTAINERS_STORAGE_CONF: conf };
  return {
    env,
    dir,
    async remove() {
      await run("buildah", ["rm", "--all"], { env });
      await run("buildah", ["rmi", "--all", "--force"], { env });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a command to its end, collecting its output; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** As run(), but a non-zero exit is an error carrying the end of the output (a failed build says why). */
export async function runOk(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Ran> {
  const ran = await run(cmd, args, options);
  if (ran.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${ran.status}:\n${`${ran.stdout}\n${ran.stderr}`.slice(-4000)}`);
  return ran;
}

/**
 * `-v` options that give the build's RUN steps this host's way to the npm
 * registry: its registry and its CA file (these machines reach npm through a
 * TLS-intercepting proxy whose CA only the host trusts). Bind mounts exist only
 * while a RUN step runs; nothing of them is committed to the image.
 */
export async function npmAccessMounts(dir: string): Promise<string[]> {
  const get = async (key: string) => (await runOk("npm", ["config", "get", key])).stdout.trim();
  const registry = await get("registry");
  const cafile = await get("cafile");
  const lines = [`registry=${registry}`];
  const mounts: string[] = [];
  if (cafile && cafile !== "null" && cafile !== "undefined" && existsSync(cafile)) {
    lines.push("cafile=/run/host-npm-ca.crt");
    mounts.push("-v", `${cafile}:/run/host-npm-ca.crt:ro`);
  }
  writeFileSync(join(dir, "npmrc"), `${lines.join("\n")}\n`);
  return [...mounts, "-v", `${join(dir, "npmrc")}:/root/.npmrc:ro`];
}

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
}

export async function imageConfig(store: Store, image: string): Promise<ImageConfig> {
  const inspected = JSON.parse((await runOk("buildah", ["inspect", "--type", "image", image], { env: store.env })).stdout) as {
    OCIv1: { config: { Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string } };
  };
  const { Entrypoint = [], Cmd = [], WorkingDir = "/" } = inspected.OCIv1.config;
  return { entrypoint: Entrypoint, cmd: Cmd, workingDir: WorkingDir };
}

export interface Container {
  /** The container's root filesystem, mounted on the host for inspection. */
  root: string;
  /**
   * Runs as `docker run IMAGE args...` would: the image's entrypoint, then args
   * (which replace its CMD); `buildah run` does not apply the entrypoint itself.
   */
  run(args: string[], volumes?: string[]): Promise<Ran>;
  remove(): Promise<void>;
}

/** A working container of the image (`buildah from`); its runs change nothing in the image. */
export async function openContainer(store: Store, image: string): Promise<Container> {
  const { entrypoint } = await imageConfig(store, image);
  const name = (await runOk("buildah", ["from", "--pull=never", image], { env: store.env })).stdout.trim();
  const root = (await runOk("buildah", ["mount", name], { env: store.env })).stdout.trim();
  return {
    root,
    run: (args, volumes = []) =>
      run("buildah", ["run", "--isolation", "chroot", ...volumes.flatMap((v) => ["-v", v]), name, "--", ...entrypoint, ...args], { env: store.env }),
    remove: async () => void (await run("buildah", ["rm", name], { env: store.env })),
  };
}

/** Bytes of the files in a directory tree (du's apparent size, hard links once). */
export async function treeBytes(dir: string): Promise<number> {
  return Number((await runOk("du", ["-sb", dir])).stdout.split("\t")[0]);
}
