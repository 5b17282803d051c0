// What every scenario gets from the runner.
import type { BenchAgent } from "./agent.js";
import type { Sshd } from "./sshd.js";
import type { TlsAnchor } from "./tls-anchor.js";

export interface BenchContext {
  quick: boolean;
  /** Interleaved rounds of a whole measurement (a rate, a wall time): the full run's, the --quick run's, or --rounds N. */
  rounds(full: number, quick: number): number;
  /** Latency samples (each its own round): the full run's or the --quick run's (--rounds leaves them alone). */
  samples(full: number, quick: number): number;
  /** A size or count: the full run's or the --quick run's. */
  pick<T>(full: T, quick: T): T;
  agent: BenchAgent;
  sshd: Sshd;
  tls: TlsAnchor;
  /** A temp directory on the same filesystem as the agent's state directory. */
  tmp: string;
  /**
   * A finished job whose output is `size` random bytes (head -c SIZE /dev/urandom),
   * made once per size and shared between scenarios; `spool` is its output file,
   * which the anchors serve.
   */
  outputJob(size: number): Promise<{ jobID: Buffer; id: string; spool: string }>;
  /** Progress on stderr (the figures go to stdout). */
  log(message: string): void;
}

export type Scenario = (ctx: BenchContext) => Promise<import("./figure.js").Figure[]>;
