// Readiness for systemd (Type=notify): READY=1 once the gRPC server is bound,
// RELOADING=1 ... READY=1 around a SIGHUP reload, STOPPING=1 at shutdown.
//
// The sd_notify protocol is one datagram on the AF_UNIX socket named by
// $NOTIFY_SOCKET, and systemd accepts it (NotifyAccess=main) only if the
// datagram's SCM_CREDENTIALS name the main pid. Node cannot send unix
// datagrams, so the agent runs systemd's own `systemd-notify`: called with
// no --pid it sends on behalf of its parent (getppid(); as root it may put
// another pid in its credentials), and it waits for systemd to have
// processed the message (sd_notify_barrier) before exiting, so nothing is
// lost or misattributed. Outside systemd ($NOTIFY_SOCKET unset) it is a no-op.
import { execFile } from "node:child_process";

export type NotifyState = "READY=1" | "RELOADING=1" | "STOPPING=1";

export interface Notifier {
  /** Resolves once systemd has the message (or at once without $NOTIFY_SOCKET); never rejects. */
  notify(state: NotifyState, status?: string): Promise<void>;
}

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  /** The systemd-notify binary; overridable for tests. */
  command?: string;
  onError?: (err: Error) => void;
}

export function systemdNotifier(options: NotifierOptions = {}): Notifier {
  const env = options.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  const command = options.command ?? "systemd-notify";
  return {
    async notify(state, status) {
      if (!socket) return;
      const args = status === undefined ? [state] : [state, `STATUS=${status}`];
      await new Promise<void>((resolve) => {
        // The child gets NOTIFY_SOCKET; the agent's own environment keeps it too
        // (jobs never see it: their environment is built from scratch).
        execFile(command, args, { env: { PATH: env.PATH ?? "/usr/bin:/bin", NOTIFY_SOCKET: socket }, timeout: 10_000 }, (err, _stdout, stderr) => {
          if (err) options.onError?.(new Error(`${command} ${args.join(" ")} failed: ${stderr.trim() || err.message}`));
          resolve();
        });
      });
    },
  };
}
