import { expect } from "chai";
import { Command } from "commander";
import { jobOptions, startRequest, type StartOptions } from "../../ctl/job-options.js";
import type { StartRequest } from "../../proto/generated/workerservice/StartRequest.js";

/** The StartRequest a verb with jobOptions makes from `argv`. */
function requestFor(argv: string[]): StartRequest {
  let request: StartRequest | undefined;
  jobOptions(new Command("start").exitOverride().configureOutput({ writeErr: () => {} }))
    .action((cmd: string, args: string[], options: StartOptions) => {
      request = startRequest(cmd, args, options);
    })
    .parse(argv, { from: "user" });
  return request!;
}

const NO_LIMITS = { cpuCores: 0, memoryBytes: 0, ioReadBps: 0, ioWriteBps: 0, ioReadIops: 0, ioWriteIops: 0, pids: 0 };

describe("jobctl job options (start, run)", () => {
  it("CMD and ARGS, options after -- passed on; no limit given is 0, no grace period given is left out", () => {
    expect(requestFor(["--", "sh", "-c", "exit 3"])).to.deep.equal({ commandName: "sh", arguments: ["-c", "exit 3"], limits: NO_LIMITS, runAsRoot: false });
  });

  it("every limit, --grace and --as-root", () => {
    const argv = ["--cpu", "0.5", "--memory", "256Mi", "--io-read-bps", "1Ki", "--io-write-bps", "2Ki", "--io-read-iops", "3", "--io-write-iops", "4", "--pids", "5"];
    expect(requestFor([...argv, "--grace", "30s", "--as-root", "--", "make", "test"])).to.deep.equal({
      commandName: "make",
      arguments: ["test"],
      limits: { cpuCores: 0.5, memoryBytes: 256 * 1024 * 1024, ioReadBps: 1024, ioWriteBps: 2048, ioReadIops: 3, ioWriteIops: 4, pids: 5 },
      runAsRoot: true,
      gracePeriodMs: 30_000,
    });
  });

  it("--grace 0 is sent (kill at once), not taken for no grace period", () => {
    expect(requestFor(["--grace", "0", "--", "true"]).gracePeriodMs).to.equal(0);
  });

  it("a bad limit is a usage error naming the option", () => {
    expect(() => requestFor(["--memory", "0", "--", "true"])).to.throw(/--memory <bytes>.*above 0/);
  });
});
