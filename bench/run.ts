// The benchmark suite (issue 10): every scenario against its anchor, measured in the
// same run, interleaved (anchor, jobworker, anchor, jobworker, ...). It starts and stops
// what it needs: the agent (the real binary, bench config from bench/lib/agent.ts), an
// OpenSSH server on a loopback port, the bare TLS anchor server.
//
//   npm run build && npm run bench [-- --quick] [--json PATH] [--only a,b] [--rounds N]
//                                  [--agent-node-args "--cpu-prof --cpu-prof-dir=DIR"]
//
// Prints one line per figure (jobworker, anchor, ratio = jobworker/anchor, how many times
// worse, rounds) and writes the same as JSON (default bench/results/<timestamp>.json).
// --quick shrinks sizes and counts to run in seconds (the smoke test uses it).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startBenchAgent, startJob, waitStatus, type BenchAgent } from "./lib/agent.js";
import type { BenchContext, Scenario } from "./lib/context.js";
import type { Figure } from "./lib/figure.js";
import { startSshd, type Sshd } from "./lib/sshd.js";
import { startTlsAnchor, type TlsAnchor } from "./lib/tls-anchor.js";
import { human, msSince, now } from "./lib/stats.js";
import { fleet } from "./scenarios/fleet.js";
import { startRpc } from "./scenarios/start-rpc.js";
import { startVisible } from "./scenarios/start-visible.js";
import { startRate } from "./scenarios/start-rate.js";
import { jobctlStart } from "./scenarios/jobctl-start.js";
import { capture } from "./scenarios/capture.js";
import { getOutput } from "./scenarios/get-output.js";
import { jobctlLogs } from "./scenarios/jobctl-logs.js";
import { fanout } from "./scenarios/fanout.js";

/** In this order: fleet first, on the fresh agent, so List sees its jobs only. */
export const SCENARIOS: Record<string, Scenario> = {
  fleet, "start-rpc": startRpc, "start-visible": startVisible, "start-rate": startRate, "jobctl-start": jobctlStart,
  capture, "get-output": getOutput, "jobctl-logs": jobctlLogs, fanout,
};

const REPO = fileURLToPath(new URL("../../", import.meta.url));

interface Options {
  quick: boolean;
  json: string;
  only?: string[];
  rounds?: number;
  /** Options for the agent's node, split on spaces (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). */
  agentNodeArgs: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, json: "", agentNodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--quick") options.quick = true;
    else if (flag === "--json") options.json = value();
    else if (flag === "--only") options.only = value().split(",").filter(Boolean);
    else if (flag === "--rounds") options.rounds = Number(value());
    else if (flag === "--agent-node-args") options.agentNodeArgs = value().split(" ").filter(Boolean);
    else if (flag === "--help" || flag === "-h") {
      console.log(`usage: npm run bench -- [--quick] [--json PATH] [--only ${Object.keys(SCENARIOS).join(",")}] [--rounds N] [--agent-node-args "--cpu-prof --cpu-prof-dir=DIR"]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]} (--help)`);
  }
  for (const name of options.only ?? []) if (!SCENARIOS[name]) throw new Error(`no scenario ${name}: ${Object.keys(SCENARIOS).join(", ")}`);
  if (options.rounds !== undefined && !(Number.isInteger(options.rounds) && options.rounds > 0)) throw new Error("--rounds needs a positive integer");
  return options;
}

const fmt = (x: number): string => (!Number.isFinite(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

export function formatFigure(f: Figure): string {
  const worse = f.gap >= 1 ? `${fmt(f.gap)}x worse` : `${fmt(1 / f.gap)}x better`;
  return `${f.figure}: jobworker ${fmt(f.jobworker)} ${f.unit} | ${f.anchorName}: ${fmt(f.anchor)} ${f.unit} | ratio ${fmt(f.ratio)} (${worse}) | n=${f.rounds}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const names = Object.keys(SCENARIOS).filter((name) => !options.only || options.only.includes(name));
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  const began = now();
  const load = loadavg();
  log(`jobworker bench${options.quick ? " --quick" : ""}: ${names.join(", ")}; node ${process.version}, ${availableParallelism()} cpus, load ${load.map((l) => l.toFixed(2)).join(" ")}`);

  const tmp = mkdtempSync(join(tmpdir(), "jobworker-bench-"));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((err: Error) => log(`cleanup: ${err.message}`));
    rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping what the bench started`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);

  const figures: Figure[] = [];
  try {
    const agent: BenchAgent = await startBenchAgent(options.agentNodeArgs);
    stops.push(() => agent.stop());
    const sshd: Sshd = await startSshd();
    stops.push(() => sshd.stop());
    const tls: TlsAnchor = await startTlsAnchor(agent.pki, agent.files);
    stops.push(() => tls.stop());
    log(`agent pid ${agent.agent.pid} on ${agent.agent.address}; sshd on 127.0.0.1:${sshd.port}; TLS anchor pid ${tls.pid} on 127.0.0.1:${tls.port}`);

    const outputJobs = new Map<number, Promise<{ jobID: Buffer; id: string; spool: string }>>();
    const ctx: BenchContext = {
      quick: options.quick,
      rounds: (full, quick) => options.rounds ?? (options.quick ? quick : full),
      samples: (full, quick) => (options.quick ? quick : full),
      pick: (full, quick) => (options.quick ? quick : full),
      agent, sshd, tls, tmp, log,
      outputJob(size) {
        let job = outputJobs.get(size);
        if (!job) {
          job = (async () => {
            const t = now();
            const { jobID, id } = await startJob(agent.client, "head", ["-c", String(size), "/dev/urandom"]);
            const status = await waitStatus(agent.client, jobID, "ended", 20);
            if (status.JobStatus !== "EXITED" || Number(status.outputBytes) !== size) throw new Error(`output job ended ${status.JobStatus} with ${status.outputBytes} bytes`);
            log(`  prepared a job with ${human(size)} of output in ${(msSince(t) / 1000).toFixed(1)} s`);
            return { jobID, id, spool: join(agent.agent.stateDir, "jobs", id, "output") };
          })();
          outputJobs.set(size, job);
        }
        return job;
      },
    };

    for (const name of names) {
      const t = now();
      log(`[${name}]`);
      const got = await SCENARIOS[name](ctx);
      for (const f of got) console.log(formatFigure(f));
      figures.push(...got);
      log(`  (${(msSince(t) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await stopAll();
  }

  const result = {
    date: new Date().toISOString(),
    quick: options.quick,
    node: process.version,
    cpus: availableParallelism(),
    loadavgAtStart: load,
    loadavgAtEnd: loadavg(),
    seconds: msSince(began) / 1000,
    figures,
  };
  const path = options.json ? resolve(options.json) : join(REPO, "bench", "results", `${result.date.replace(/[:.]/g, "-")}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(result, null, 2) + "\n");
  log(`${figures.length} figures in ${result.seconds.toFixed(1)} s, load ${result.loadavgAtEnd.map((l) => l.toFixed(2)).join(" ")} at the end; JSON: ${path}`);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
