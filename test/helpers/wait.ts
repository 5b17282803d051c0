// Waiting for something to become true, for tests on a loaded machine: poll
// often, give up only after a long bound, and say what never happened. A
// short loop ("100 tries of 20 ms") or a fixed sleep is a race with the
// scheduler; this is not, short of a real hang.
import { sleep } from "./tmp.js";

/** How long anything may take before it counts as never: generous, since a loaded CI machine can stall for seconds. */
export const EVENTUALLY_MS = 20_000;

/** Resolves with probe's first truthy result; rejects naming `what` if none came within `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = EVENTUALLY_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(20);
  }
}
