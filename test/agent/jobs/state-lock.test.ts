import { expect } from "chai";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { StateLock } from "../../../agent/jobs/state-lock.js";
import { tempDir } from "../../helpers/tmp.js";

const STATE_LOCK_JS = fileURLToPath(new URL("../../../agent/jobs/state-lock.js", import.meta.url));

describe("StateLock (one agent per state directory)", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  it("refuses a second holder with FAILED_PRECONDITION naming the first, and is free again once released", async () => {
    const first = await StateLock.acquire(dir.path);
    const err = await StateLock.acquire(dir.path).then(() => undefined, (e: Error & { code?: string }) => e);
    expect(err?.code).to.equal("FAILED_PRECONDITION");
    expect(err?.message).to.include(`pid ${process.pid}`).and.include("one agent per state directory");
    await first.release();
    await (await StateLock.acquire(dir.path)).release();
  });

  it("is released by the kernel when its holder is SIGKILLed (no stale lock)", async () => {
    const holder = spawn(process.execPath, [
      "--input-type=module", "-e",
      `const { StateLock } = await import(${JSON.stringify(STATE_LOCK_JS)}); await StateLock.acquire(${JSON.stringify(dir.path)}); console.log("locked"); setInterval(() => {}, 1000);`,
    ], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
    const err = await StateLock.acquire(dir.path).then(() => undefined, (e: Error & { code?: string }) => e);
    expect(err?.message).to.include(`pid ${holder.pid}`);
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    holder.kill("SIGKILL");
    await exited;
    await (await StateLock.acquire(dir.path)).release();
  });
});
