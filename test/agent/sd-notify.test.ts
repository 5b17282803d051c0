// The agent's sd_notify messages, against a real AF_UNIX datagram socket that
// reads SCM_CREDENTIALS as systemd does (test/fixtures/notify-receiver.c), sent
// through the real systemd-notify. Under real systemd: test/systemd/.
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { systemdNotifier } from "../../agent/sd-notify.js";
import { tempDir } from "../helpers/tmp.js";

const RECEIVER_SOURCE = fileURLToPath(new URL("../../../test/fixtures/notify-receiver.c", import.meta.url));

/** Starts the receiver on a fresh socket; resolves with the path and the lines it will print. */
async function receiver(dir: string, count: number): Promise<{ socket: string; lines: Promise<string[]> }> {
  const binary = join(dir, "notify-receiver");
  execFileSync(process.env.CC || "cc", ["-O2", "-Wall", "-o", binary, RECEIVER_SOURCE]);
  const socket = join(dir, "notify.sock");
  const child = spawn(binary, [socket, String(count)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  let bound!: () => void;
  const ready = new Promise<void>((resolve) => (bound = resolve));
  createInterface({ input: child.stdout }).on("line", (line) => (line === "bound" ? bound() : lines.push(line)));
  await ready;
  return { socket, lines: new Promise((resolve) => child.once("exit", () => resolve(lines))) };
}

describe("sd_notify (agent/sd-notify.ts)", function () {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("jobworker-notify-")));
  afterEach(() => dir.cleanup());

  it("READY=1 (with STATUS), RELOADING=1 and STOPPING=1 arrive in order with the agent's own pid in SCM_CREDENTIALS, as NotifyAccess=main requires", async function () {
    if (process.getuid?.() !== 0) this.skip(); // only root may name another pid (its parent's) in the credentials
    const { socket, lines } = await receiver(dir.path, 3);
    const errors: Error[] = [];
    const notifier = systemdNotifier({ env: { NOTIFY_SOCKET: socket, PATH: process.env.PATH }, onError: (e) => errors.push(e) });
    await notifier.notify("READY=1", "serving on port 5000");
    await notifier.notify("RELOADING=1");
    await notifier.notify("STOPPING=1");
    expect(errors).to.deep.equal([]);
    expect(await lines).to.deep.equal([
      `pid=${process.pid} READY=1|STATUS=serving on port 5000`,
      `pid=${process.pid} RELOADING=1`,
      `pid=${process.pid} STOPPING=1`,
    ]);
  });

  it("without NOTIFY_SOCKET (not under systemd) sends nothing and runs nothing", async () => {
    const errors: Error[] = [];
    const notifier = systemdNotifier({ env: { PATH: process.env.PATH }, command: "/nonexistent/systemd-notify", onError: (e) => errors.push(e) });
    await notifier.notify("READY=1");
    expect(errors).to.deep.equal([]);
  });

  it("a socket nobody listens on is reported through onError, and notify still resolves", async () => {
    const errors: Error[] = [];
    const notifier = systemdNotifier({ env: { NOTIFY_SOCKET: join(dir.path, "absent.sock"), PATH: process.env.PATH }, onError: (e) => errors.push(e) });
    await notifier.notify("READY=1");
    expect(errors).to.have.length(1);
    expect(errors[0].message).to.match(/^systemd-notify READY=1 failed: /);
  });
});
