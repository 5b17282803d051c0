// An OpenSSH server (Debian's openssh-server) on a loopback port, for the ssh anchors:
// a generated host key and client key in a temp dir, run as root with -D -e -f CONFIG.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync, chmodSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { output } from "./proc.js";
import { sleep } from "./stats.js";

export const SSHD = "/usr/sbin/sshd";

export interface Sshd {
  port: number;
  /** ssh's arguments before the remote command: ssh ...args CMD. */
  args: string[];
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startSshd(): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} not found: apt-get install -y openssh-server openssh-client`);
  if (process.getuid?.() !== 0) throw new Error("the ssh anchors run sshd as root (a login as root on 127.0.0.1)");
  const dir = mkdtempSync(join(tmpdir(), "jobworker-bench-sshd-"));
  let child: ChildProcess | undefined;
  try {
    await output("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
    await output("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "client_key")]);
    copyFileSync(join(dir, "client_key.pub"), join(dir, "authorized_keys"));
    chmodSync(join(dir, "authorized_keys"), 0o600);
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
    const port = await freePort();
    const config = join(dir, "sshd_config");
    writeFileSync(
      config,
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${join(dir, "host_key")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PidFile none",
        "UseDNS no",
        "PrintMotd no",
        "LogLevel ERROR",
        "MaxStartups 200",
        "MaxSessions 200",
        "",
      ].join("\n"),
    );
    child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "inherit"] });
    const exited = new Promise<void>((resolve) => child!.once("exit", () => resolve()));
    const args = [
      "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
      "-o", "LogLevel=ERROR", "-i", join(dir, "client_key"), "-p", String(port), "root@127.0.0.1",
    ];
    // Ready once a login works.
    for (let attempt = 0; ; attempt++) {
      try {
        await output("ssh", [...args, "true"]);
        break;
      } catch (err) {
        if (attempt >= 50 || child.exitCode !== null) throw err;
        await sleep(100);
      }
    }
    const sshd = child;
    return {
      port,
      args,
      async stop() {
        if (sshd.exitCode === null && sshd.signalCode === null) sshd.kill("SIGTERM");
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
