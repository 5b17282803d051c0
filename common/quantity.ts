// Kubernetes-style quantities for byte sizes and rates: "256Mi", "1G", "512k",
// "1.5Gi", or plain bytes. Binary suffixes (Ki Mi Gi Ti Pi Ei) are powers of
// 1024, decimal ones (k M G T P E) powers of 1000, as in Kubernetes.
const SUFFIXES: Record<string, number> = {
  "": 1,
  k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** Bytes for a quantity; throws a message naming the value when it is malformed or not a safe integer. */
export function parseByteQuantity(text: string): number {
  const match = QUANTITY.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a quantity (examples: 268435456, 256Mi, 1G)`);
  const bytes = Math.ceil(Number(match[1]) * SUFFIXES[match[2] ?? ""]);
  if (!Number.isSafeInteger(bytes)) throw new Error(`"${text}" is too large`);
  return bytes;
}

/** A short binary form for display: 268435456 -> "256Mi". */
export function formatBytes(bytes: number): string {
  const units = ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"];
  for (let i = 0; i < units.length; i++) {
    const size = 2 ** (10 * (6 - i));
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${units[i]}`;
  }
  return String(bytes);
}
