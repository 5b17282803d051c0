// What a scenario hands back: one figure, jobworker's number against its anchor's,
// both measured in the same run, interleaved.

export interface Figure {
  /** e.g. "Start RPC round trip, warm connection, p50". */
  figure: string;
  /** The anchor, e.g. "node spawn('/bin/true') until exit, p50". */
  anchorName: string;
  jobworker: number;
  anchor: number;
  unit: string;
  /** Whether a lower number is better (times, memory) or a higher one (rates). */
  better: "lower" | "higher";
  /** jobworker / anchor. */
  ratio: number;
  /** How many times worse jobworker is than its anchor (< 1: better). */
  gap: number;
  /** Interleaved rounds (or samples) behind each number. */
  rounds: number;
  /** Anything the reader needs: sizes, counts, what was held constant. */
  note?: string;
  /** Every sample, for the JSON. */
  samples?: { jobworker: number[]; anchor: number[] };
}

export function figure(f: Omit<Figure, "ratio" | "gap">): Figure {
  const ratio = f.jobworker / f.anchor;
  return { ...f, ratio, gap: f.better === "lower" ? ratio : 1 / ratio };
}
