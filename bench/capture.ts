// Benchmark: output CAPTURE throughput of one job writing as fast as it can,
// i.e. MB/s of bytes reaching the job's output file, against two anchors
// measured in the same run on the same bytes:
//   cat:  sh -c 'SOURCE | cat > FILE'   (a plain pipe into a file through cat)
//   node: spawn SOURCE with stdout piped into fs.createWriteStream(FILE)
//   job:  JobManager.start(SOURCE) until wait() resolves (public API only, so
//         this keeps working whatever the capture path becomes)
// SOURCE is `head -c SIZE /dev/zero` (--data zero), or `cat SRC` of SIZE random
// bytes prepared once in a file (--data random); --data both runs both.
// Runs are interleaved (cat, node, job, cat, node, job, ...); the medians and the
// ratios job/cat and job/node are printed at the end. MB = 10^6 bytes.
// "In the file" means written to it (page cache), not fsynced. Every output
// file (and every job's state dir) is removed right after its run, so dirty pages
// do not pile up and throttle later runs.
//
// (The suite, npm run bench, measures the job through the agent against the same cat
// anchor: bench/scenarios/capture.ts.)
// Run on demand: npm run build && npm run bench:capture -- [--size 1Gi] [--runs 5] [--data zero|random|both]
// (or SIZE=, RUNS=, DATA= in the environment). Sizes: bytes, or k/M/G (10^3..)
// and Ki/Mi/Gi (2^10..). Temp files go under $TMPDIR (default /tmp): the job's
// state dir and the anchors' files are on the same filesystem.
//
// Measured on the 2-core dev machine (Node 20.20, the agent's JS capture loop; noisy:
// single runs of the same method varied up to 2x): 1 GiB of zeros x 5: cat 970 MB/s,
// node 189, job 234 (job/cat 0.24, job/node 1.24); 256 MiB x 3: cat 761, node 259,
// job 256 (0.34, 0.99); 1 GiB random x 3: cat 583, node 358, job 338 (0.58, 0.94).
// `head` writes 8 KiB at a time and `cat` 128 KiB, so the zero source makes many more
// small reads for the pipe's reader than the random one.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { JobManager } from "../agent/jobs/manager.js";
import { catToFileArgs } from "./lib/pipe-anchor.js";
import { option } from "./lib/cli-option.js";

const UNITS: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9, ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30 };

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|m|g|ki|mi|gi)?b?$/i.exec(text.trim());
  const bytes = m ? Math.round(Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()]) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`bad size ${JSON.stringify(text)} (e.g. 1073741824, 256Mi, 1Gi, 500M)`);
  return bytes;
}

const size = parseSize(option("size", "SIZE", "1Gi"));
const runs = Number(option("runs", "RUNS", "5"));
if (!Number.isInteger(runs) || runs < 1) throw new Error(`bad --runs ${runs}`);
const dataOption = option("data", "DATA", "zero");
if (!["zero", "random", "both"].includes(dataOption)) throw new Error(`bad --data ${dataOption} (zero, random or both)`);
const variants = (dataOption === "both" ? ["zero", "random"] : [dataOption]) as ("zero" | "random")[];

type Method = "cat" | "node" | "job";
const METHODS: Method[] = ["cat", "node", "job"];

const human = (bytes: number): string =>
  bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : `${bytes} B`;
const mbps = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;
const elapsed = (began: bigint): number => Number(process.hrtime.bigint() - began) / 1e9;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command to completion, failing loudly on anything but exit 0. */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("close", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} ended with ${signal ?? `exit code ${code}`}`)),
    );
  });
}

/** The file must hold exactly SIZE bytes, and begin and end like the source. */
async function verify(label: string, file: string, source: string): Promise<void> {
  const onDisk = (await stat(file)).size;
  if (onDisk !== size) throw new Error(`${label}: ${file} holds ${onDisk} bytes on disk, expected ${size}`);
  const probe = Math.min(size, 64 * 1024);
  const [a, b] = await Promise.all([open(file), open(source)]);
  try {
    for (const at of [0, size - probe]) {
      const x = Buffer.alloc(probe);
      const y = Buffer.alloc(probe);
      await a.read(x, 0, probe, at);
      await b.read(y, 0, probe, source === "/dev/zero" ? null : at);
      if (!x.equals(y)) throw new Error(`${label}: ${file} differs from ${source} in the ${probe} bytes at offset ${at}`);
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

async function benchCat(dir: string, source: string[]): Promise<number> {
  const file = join(dir, "cat.out");
  const began = process.hrtime.bigint();
  await run("sh", catToFileArgs(source, file));
  const seconds = elapsed(began);
  await verify("cat", file, sourceFile(source));
  await rm(file);
  return seconds;
}

async function benchNode(dir: string, source: string[]): Promise<number> {
  const file = join(dir, "node.out");
  const began = process.hrtime.bigint();
  const child = spawn(source[0], source.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`node anchor: ${source.join(" ")} ended with ${signal ?? `exit code ${code}`}`))));
  });
  await Promise.all([pipeline(child.stdout!, createWriteStream(file)), exited]);
  const seconds = elapsed(began);
  await verify("node", file, sourceFile(source));
  await rm(file);
  return seconds;
}

async function benchJob(root: string, source: string[]): Promise<number> {
  const stateDir = await mkdtemp(join(root, "state-"));
  try {
    const manager = await JobManager.open({
      stateDir,
      defaultGracePeriodMs: 0,
      outputCapBytes: Math.max(4 * 2 ** 30, size),
      maxConcurrentJobs: 1,
      retention: { maxFinishedJobs: 100, maxAgeMs: 3600_000 },
    });
    try {
      const began = process.hrtime.bigint();
      const { id } = await manager.start("bench", source[0], source.slice(1));
      const record = await manager.wait(id);
      const seconds = elapsed(began);
      if (record.state !== "EXITED" || record.exitCode !== 0) {
        throw new Error(`job: ${source.join(" ")} ended ${record.state} (${record.reason}, exit ${record.exitCode}, ${record.signal}): ${record.message ?? ""}`);
      }
      if (record.outputBytes !== size || record.outputDroppedBytes !== 0) {
        throw new Error(`job: outputBytes ${record.outputBytes} (dropped ${record.outputDroppedBytes}), expected ${size}`);
      }
      // The spool's place as documented in README ("Output").
      await verify("job", join(stateDir, "jobs", id, "output"), sourceFile(source));
      return seconds;
    } finally {
      await manager.shutdown(0);
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The file the source command reads its bytes from. */
const sourceFile = (source: string[]): string => source[source.length - 1];

const root = await mkdtemp(join(tmpdir(), "jobworker-bench-capture-"));
const summaries: string[] = [];
try {
  console.log(`capture benchmark: ${human(size)} (${size} B) x ${runs} runs, node ${process.version}, ${availableParallelism()} cpus, temp ${root}`);
  for (const data of variants) {
    let source: string[];
    if (data === "zero") {
      source = ["head", "-c", String(size), "/dev/zero"];
    } else {
      const src = join(root, "random.src");
      const began = process.hrtime.bigint();
      await run("sh", ["-c", 'head -c "$1" /dev/urandom > "$2"', "sh", String(size), src]);
      console.log(`prepared ${human(size)} of random data in ${src} (${elapsed(began).toFixed(1)} s)`);
      source = ["cat", src];
    }
    console.log(`\n[${data}] source: ${source.join(" ")}`);
    const rates: Record<Method, number[]> = { cat: [], node: [], job: [] };
    for (let i = 1; i <= runs; i++) {
      for (const method of METHODS) {
        const seconds = method === "cat" ? await benchCat(root, source) : method === "node" ? await benchNode(root, source) : await benchJob(root, source);
        const rate = mbps(size, seconds);
        rates[method].push(rate);
        console.log(`run ${String(i).padStart(2)}/${runs}  ${method.padEnd(4)} ${seconds.toFixed(3).padStart(7)} s = ${rate.toFixed(0).padStart(6)} MB/s`);
      }
    }
    const med = Object.fromEntries(METHODS.map((m) => [m, median(rates[m])])) as Record<Method, number>;
    console.log(`median    cat ${med.cat.toFixed(0)} MB/s, node ${med.node.toFixed(0)} MB/s, job ${med.job.toFixed(0)} MB/s`);
    console.log(`ratio     job/cat = ${(med.job / med.cat).toFixed(2)}, job/node = ${(med.job / med.node).toFixed(2)}`);
    summaries.push(
      `${data} ${human(size)} x${runs}: job ${med.job.toFixed(0)} MB/s, cat ${med.cat.toFixed(0)}, node ${med.node.toFixed(0)}; ` +
        `job/cat ${(med.job / med.cat).toFixed(2)}, job/node ${(med.job / med.node).toFixed(2)}`,
    );
    if (data === "random") await rm(sourceFile(source));
  }
  console.log(`\nsummary: capture ${summaries.join(" | ")}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
