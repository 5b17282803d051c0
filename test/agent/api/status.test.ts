// The one mapping of errors to gRPC statuses (agent/api/status.ts): each error
// class's code, its message as the details, retry-after for a refusal that
// says when to retry, and anything unexpected answered as a generic INTERNAL.
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import * as errors from "../../../agent/errors.js";
import { JobworkerError, ResourceExhaustedError } from "../../../agent/errors.js";
import { HashQueueClientShareError, HashQueueFullError } from "../../../agent/auth/hash-queue.js";
import { toStatus } from "../../../agent/api/status.js";

/** The status each error class of agent/errors.ts answers with. */
const EXPECTED: Record<string, grpc.status> = {
  InvalidArgumentError: grpc.status.INVALID_ARGUMENT,
  NotFoundError: grpc.status.NOT_FOUND,
  UnauthenticatedError: grpc.status.UNAUTHENTICATED,
  PermissionDeniedError: grpc.status.PERMISSION_DENIED,
  ResourceExhaustedError: grpc.status.RESOURCE_EXHAUSTED,
  AlreadyExistsError: grpc.status.ALREADY_EXISTS,
  FailedPreconditionError: grpc.status.FAILED_PRECONDITION,
  UnavailableError: grpc.status.UNAVAILABLE,
};

type ErrorClass = new (message: string) => JobworkerError;

/** Every concrete JobworkerError class agent/errors.ts exports. */
function errorClasses(): [string, ErrorClass][] {
  const exported: [string, unknown][] = Object.entries(errors);
  return exported.filter((entry): entry is [string, ErrorClass] => typeof entry[1] === "function" && entry[1].prototype instanceof JobworkerError);
}

describe("toStatus (errors to gRPC statuses)", () => {
  it("has an expected status for every error class agent/errors.ts exports, and no other", () => {
    expect(errorClasses().map(([name]) => name).sort()).to.deep.equal(Object.keys(EXPECTED).sort());
  });

  for (const [name, code] of Object.entries(EXPECTED)) {
    it(`answers ${name} with ${grpc.status[code]}, its message as the details, and not marked internal (rpc.ts logs only internal ones as errors)`, () => {
      const ErrorClass = errorClasses().find(([n]) => n === name)![1];
      const status = toStatus(new ErrorClass(`what went wrong with ${name}`));
      expect(status.code).to.equal(code);
      expect(status.details).to.equal(`what went wrong with ${name}`);
      expect(status.internal).to.equal(undefined);
      expect(status.metadata).to.equal(undefined);
    });
  }

  it("answers subclasses with their parent's status (the hashing queue's refusals are RESOURCE_EXHAUSTED)", () => {
    expect(toStatus(new HashQueueFullError()).code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(toStatus(new HashQueueClientShareError("c")).code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
  });

  it("adds retry-after in whole seconds, rounded up, at least 1, when a RESOURCE_EXHAUSTED says when to retry", () => {
    const retryAfter = (ms: number) => toStatus(new ResourceExhaustedError("later", { retryAfterMs: ms })).metadata?.get("retry-after");
    expect(retryAfter(3000)).to.deep.equal(["3"]);
    expect(retryAfter(1500)).to.deep.equal(["2"]);
    expect(retryAfter(1)).to.deep.equal(["1"]);
    expect(retryAfter(0)).to.deep.equal(["1"]);
    expect(toStatus(new HashQueueFullError()).metadata?.get("retry-after")).to.deep.equal(["1"]);
  });

  it("adds no metadata to a RESOURCE_EXHAUSTED that does not say when to retry", () => {
    expect(toStatus(new ResourceExhaustedError("full")).metadata).to.equal(undefined);
  });

  it("answers anything else as INTERNAL with generic details, keeping the error itself for the log", () => {
    const unexpected = new TypeError("secret path /var/lib/jobworker/x is undefined");
    const status = toStatus(unexpected);
    expect(status).to.include({ code: grpc.status.INTERNAL, details: "internal error (see the agent's log)" });
    expect(status.internal).to.equal(unexpected);
    expect(status.metadata).to.equal(undefined);
    const thrown = toStatus("a string thrown");
    expect(thrown).to.include({ code: grpc.status.INTERNAL, details: "internal error (see the agent's log)", internal: "a string thrown" });
  });
});
