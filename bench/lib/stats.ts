// Numbers: medians, percentiles, clocks, sizes. MB = 10^6 bytes.

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank on the sorted samples (p99 of 100 samples is the 99th).
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds since `began` (from now()). */
export const now = (): bigint => process.hrtime.bigint();
export const msSince = (began: bigint): number => Number(process.hrtime.bigint() - began) / 1e6;

/** Runs fn and resolves with how long it took, in ms. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const began = now();
  await fn();
  return msSince(began);
}

export const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

const UNITS: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9, ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30 };

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|m|g|ki|mi|gi)?b?$/i.exec(text.trim());
  const bytes = m ? Math.round(Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()]) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`bad size ${JSON.stringify(text)} (e.g. 1073741824, 256Mi, 1Gi, 500M)`);
  return bytes;
}

export const human = (bytes: number): string =>
  bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : `${bytes} B`;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
