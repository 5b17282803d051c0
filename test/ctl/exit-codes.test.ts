import { expect } from "chai";
import { status } from "@grpc/grpc-js";
import { CommanderError } from "commander";
import { ExitCode, exitCodeForStatus } from "../../ctl/exit-codes.js";
import { ConfigError, RpcError, UsageError, describeFailure, reportFailure } from "../../ctl/errors.js";
import { Status, statusName } from "../../ctl/grpc-status.js";

describe("jobctl exit codes", () => {
  it("jobctl's copy of the gRPC status codes (ctl/grpc-status.ts) is grpc-js's", () => {
    const grpcJs = Object.fromEntries(Object.entries(status).filter(([, code]) => typeof code === "number"));
    expect(Status).to.deep.equal(grpcJs);
    for (const [name, code] of Object.entries(grpcJs)) expect(statusName(code as number)).to.equal(name);
    expect(statusName(99)).to.equal(undefined);
  });

  describe("gRPC status -> exit code", () => {
    const expected: Record<string, number> = {
      OK: 0,
      CANCELLED: 1,
      UNKNOWN: 1,
      INVALID_ARGUMENT: 2,
      DEADLINE_EXCEEDED: 1,
      NOT_FOUND: 4,
      ALREADY_EXISTS: 5,
      PERMISSION_DENIED: 3,
      RESOURCE_EXHAUSTED: 5,
      FAILED_PRECONDITION: 5,
      ABORTED: 1,
      OUT_OF_RANGE: 1,
      UNIMPLEMENTED: 1,
      INTERNAL: 1,
      UNAVAILABLE: 1,
      DATA_LOSS: 1,
      UNAUTHENTICATED: 3,
    };
    for (const [name, code] of Object.entries(expected)) {
      it(`${name} -> ${code}`, () => expect(exitCodeForStatus(status[name as keyof typeof status])).to.equal(code));
    }
    it("an unknown future status -> 1", () => expect(exitCodeForStatus(99 as status)).to.equal(ExitCode.Failure));
  });

  describe("failures -> message and exit code", () => {
    it("an RPC error: status name, the server's message, its exit code", () => {
      const failure = describeFailure(new RpcError(status.NOT_FOUND, "job 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d not found", "localhost:5000"));
      expect(failure).to.deep.equal({ message: "NOT_FOUND: job 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d not found", exitCode: 4 });
    });
    it("a connection error says where it tried to connect, without grpc-js's empty resolution note", () => {
      const details = "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ";
      expect(describeFailure(new RpcError(status.UNAVAILABLE, details, "127.0.0.1:1"))).to.deep.equal({
        message: "UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1 (agent at 127.0.0.1:1)",
        exitCode: 1,
      });
    });
    it("usage and config errors -> 2", () => {
      expect(describeFailure(new UsageError("bad")).exitCode).to.equal(ExitCode.Usage);
      expect(describeFailure(new ConfigError("/c", "users[0].name", "missing"))).to.deep.equal({ message: "config /c: users[0].name: missing", exitCode: 2 });
    });
    it("commander's usage errors -> 2 (already printed), --help -> 0", () => {
      expect(describeFailure(new CommanderError(1, "commander.unknownOption", "error: unknown option"))).to.deep.equal({ exitCode: 2 });
      expect(describeFailure(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"))).to.deep.equal({ exitCode: 0 });
    });
    it("anything else -> 1", () => {
      expect(describeFailure(new Error("boom"))).to.deep.equal({ message: "boom", exitCode: 1 });
    });
    it("reports exactly one line", () => {
      const lines: string[] = [];
      const code = reportFailure(new Error("first\nsecond\n"), (line) => lines.push(line));
      expect(code).to.equal(1);
      expect(lines).to.deep.equal(["error: first second\n"]);
    });
  });
});
