import { expect } from "chai";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { JobTop__Output } from "../../proto/generated/workerservice/JobTop.js";
import { formatDescription } from "../../ctl/commands/describe/job.js";
import { formatJobTable, formatWideJobTable } from "../../ctl/commands/get/jobs.js";
import { formatTopTable } from "../../ctl/commands/top.js";
import { formatStatus } from "../../ctl/commands/status.js";
import { commandLine, formatAge, formatTable, printable, shellQuote } from "../../ctl/format.js";

const NOW = new Date("2025-01-02T03:04:05.000Z");
const seconds = (date: string) => ({ seconds: String(Date.parse(date) / 1000), nanos: 0 });

function job(fields: Partial<QueryStatusResponse__Output>): QueryStatusResponse__Output {
  return {
    exitCode: -1, commandName: "sleep", arguments: ["60"], JobStatus: "RUNNING", id: "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d",
    owner: "alice", pid: 4242, signal: "", reason: "", startTime: seconds("2025-01-02T03:04:00Z"), endTime: null, message: "",
    outputBytes: "12", outputDroppedBytes: "0", limits: null, gracePeriodMs: "10000", usage: null, uid: 0, gid: 0, startFailure: null, specName: "", specRun: 0,
    ...fields,
  };
}

describe("jobctl formatting", () => {
  describe("shell quoting", () => {
    const cases: [string, string][] = [
      ["ls", "ls"],
      ["/usr/bin/env", "/usr/bin/env"],
      ["a=b,c:d@e%f+g", "a=b,c:d@e%f+g"],
      ["", "''"],
      ["two words", "'two words'"],
      ["it's", "'it'\\''s'"],
      ["$HOME", "'$HOME'"],
      ["*", "'*'"],
      ["line\nbreak", "$'line\\nbreak'"],
      ["\u001b[31mred", "$'\\x1b[31mred'"],
      ["it's\t", "$'it\\'s\\t'"],
    ];
    for (const [word, quoted] of cases) {
      it(`${JSON.stringify(word)} -> ${quoted}`, () => expect(shellQuote(word)).to.equal(quoted));
    }
    it("joins a command line", () => expect(commandLine("sh", ["-c", "echo hi; exit 3"])).to.equal("sh -c 'echo hi; exit 3'"));
  });

  it("shows control characters from the agent as escapes", () => {
    expect(printable("ok\u001b]0;pwned\u0007\r\n\u009b")).to.equal("ok\\x1b]0;pwned\\x07\\r\\n\\u009b");
  });

  it("ages like kubectl", () => {
    expect([0, 5_999, 59_999, 60_000, 3_599_999, 3_600_000, 86_399_999, 86_400_000 * 4, -5].map(formatAge)).to.deep.equal([
      "0s", "5s", "59s", "1m", "59m", "1h", "23h", "4d", "0s",
    ]);
  });

  it("pads table columns, three spaces apart, the last unpadded", () => {
    expect(formatTable(["A", "LONGER"], [["wide cell", "x"], ["y", "z"]])).to.equal("A           LONGER\nwide cell   x\ny           z\n");
  });

  it("lists jobs as ID, OWNER, STATUS, REASON, AGE, COMMAND", () => {
    const table = formatJobTable(
      [job({}), job({ id: "1b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d", owner: "bob", JobStatus: "EXITED", reason: "Completed", commandName: "echo", arguments: ["a b"], startTime: seconds("2024-12-30T03:04:05Z") })],
      NOW,
    );
    expect(table.split("\n")).to.deep.equal([
      "ID                                     OWNER   STATUS    REASON      AGE   COMMAND",
      "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d   alice   RUNNING   -           5s    sleep 60",
      "1b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d   bob     EXITED    Completed   3d    echo 'a b'",
      "",
    ]);
  });

  it("shows a running job's status", () => {
    expect(formatStatus(job({}), NOW)).to.equal(
      [
        "ID:        0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d",
        "Command:   sleep 60",
        "Owner:     alice",
        "Status:    RUNNING",
        "Reason:    -",
        "Exit Code: -",
        "Signal:    -",
        "PID:       4242",
        "Started:   2025-01-02T03:04:00.000Z (5s ago)",
        "Ended:     -",
        "Message:   -",
        "Output:    12 bytes",
        "User:      0:0",
        "Limits:    none",
        "Usage:     -",
        "",
      ].join("\n"),
    );
  });

  it("shows exit code 0, the signal and dropped output of ended jobs", () => {
    const exited = formatStatus(job({ JobStatus: "EXITED", exitCode: 0, endTime: seconds("2025-01-02T03:04:03Z") }), NOW);
    expect(exited).to.include("Exit Code: 0\n").and.include("Ended:     2025-01-02T03:04:03.000Z (2s ago)\n");
    const stopped = formatStatus(job({ JobStatus: "STOPPED", signal: "SIGKILL", pid: 0, outputBytes: "1024", outputDroppedBytes: "77" }), NOW);
    expect(stopped).to.include("Signal:    SIGKILL\n").and.include("PID:       -\n").and.include("Output:    1024 bytes (77 bytes dropped past the output cap)\n");
  });
});

describe("jobctl formatting: wide, top and describe", () => {
  it("get jobs -o wide adds PID, EXIT, SIGNAL and the limits", () => {
    const limits = { cpuCores: 0.5, memoryBytes: String(256 * 2 ** 20), ioReadBps: "0", ioWriteBps: "0", ioReadIops: "0", ioWriteIops: "0", pids: "0" };
    const table = formatWideJobTable([job({ limits }), job({ JobStatus: "STOPPED", pid: 0, signal: "SIGKILL", reason: "Stopped" }), job({ JobStatus: "EXITED", exitCode: 0, pid: 0 })], NOW);
    expect(table.split("\n")[0]).to.match(/^ID +OWNER +STATUS +REASON +AGE +PID +EXIT +SIGNAL +CPU-LIMIT +MEM-LIMIT +COMMAND$/);
    expect(table.split("\n")[1]).to.match(/ RUNNING +- +5s +4242 +- +- +0\.5 +256Mi +sleep 60$/);
    expect(table.split("\n")[2]).to.match(/ STOPPED +Stopped +5s +- +- +SIGKILL +- +- +sleep 60$/);
    expect(table.split("\n")[3]).to.match(/ EXITED +- +5s +- +0 +- /);
  });

  it("top shows millicores and sizes, or - without cgroup v2", () => {
    const top = (fields: Partial<JobTop__Output>): JobTop__Output => ({
      id: "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d", owner: "alice", commandName: "stress", cpuCores: 0.25, memoryBytes: String(45 * 2 ** 20),
      memoryPeakBytes: String(1.5 * 2 ** 30), pids: "3", available: true, ...fields,
    });
    expect(formatTopTable([top({}), top({ available: false, cpuCores: 0, memoryBytes: "0", memoryPeakBytes: "0", pids: "0" })]).split("\n")).to.deep.equal([
      "ID                                     OWNER   CPU(cores)   MEMORY   PEAK    PIDS   COMMAND",
      "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d   alice   250m         45Mi     1.5Gi   3      stress",
      "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d   alice   -            -        -       -      stress",
      "",
    ]);
  });

  it("describe has sections for limits and usage", () => {
    const usage = { cpuSeconds: 1.5, cpuUserSeconds: 1.25, cpuSystemSeconds: 0.25, memoryPeakBytes: String(2 ** 20), ioReadBytes: "0", ioWriteBytes: "4096", oomKills: "0" };
    const limits = { cpuCores: 0.5, memoryBytes: "0", ioReadBps: "0", ioWriteBps: String(10 * 2 ** 20), ioReadIops: "0", ioWriteIops: "0", pids: "100" };
    const text = formatDescription(job({ JobStatus: "EXITED", exitCode: 0, reason: "Completed", endTime: seconds("2025-01-02T03:04:03Z"), usage, limits }), NOW);
    expect(text).to.include("Exit Code:    0\n").and.include("Duration:     3.000s\n").and.include("Grace Period: 10s\n");
    expect(text).to.include("Limits:\n  CPU:          0.5 cores\n  Memory:       -\n  IO Read:      -\n  IO Write:     10Mi/s\n");
    expect(text).to.include("  PIDs:         100\nUsage:\n  CPU:         1.500s (user 1.250s, system 0.250s)\n  Memory Peak: 1Mi\n");
    expect(formatDescription(job({}), NOW)).to.include("Limits:       <none>\n").and.include("Usage:        <none> (recorded when the job ends");
  });
});
