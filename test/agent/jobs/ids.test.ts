// Job ids: UUID v4 made here; on the wire 16 raw bytes or 36 characters of text.
import { expect } from "chai";
import { isJobId, jobIdToBytes, newJobId, parseWireJobId } from "../../../agent/jobs/ids.js";

/** The refusal's code and message, or the parsed id. */
function parsed(raw: Uint8Array | undefined): string {
  try {
    return parseWireJobId(raw);
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
}

describe("jobs/ids", () => {
  it("new ids are distinct UUID v4s, in lower case", () => {
    const ids = Array.from({ length: 100 }, newJobId);
    expect(new Set(ids).size).to.equal(100);
    for (const id of ids) expect(isJobId(id), id).to.equal(true);
  });

  it("isJobId: only a v4 UUID's text in lower case (what names a job's directory)", () => {
    expect(isJobId("0b5c9e4e-3f6a-4b1e-9c2d-7a8b9c0d1e2f")).to.equal(true);
    for (const text of ["0B5C9E4E-3F6A-4B1E-9C2D-7A8B9C0D1E2F", "0b5c9e4e-3f6a-1b1e-9c2d-7a8b9c0d1e2f", "0b5c9e4e-3f6a-4b1e-7c2d-7a8b9c0d1e2f", "0b5c9e4e3f6a4b1e9c2d7a8b9c0d1e2f", "../etc", "", "tmp"]) {
      expect(isJobId(text), text).to.equal(false);
    }
  });

  it("the wire's 16 raw bytes and the text form round-trip", () => {
    const id = newJobId();
    const bytes = jobIdToBytes(id);
    expect(bytes.length).to.equal(16);
    expect(bytes.toString("hex")).to.equal(id.replace(/-/g, ""));
    expect(parsed(bytes)).to.equal(id);
  });

  it("accepts any UUID as 36 characters of text, in either case (an id the agent never made is NOT_FOUND later, not malformed)", () => {
    expect(parsed(Buffer.from("0B5C9E4E-3F6A-1B1E-0C2D-7A8B9C0D1E2F"))).to.equal("0b5c9e4e-3f6a-1b1e-0c2d-7a8b9c0d1e2f");
  });

  it("refuses anything else with INVALID_ARGUMENT, saying what it takes", () => {
    expect(parsed(undefined)).to.equal("INVALID_ARGUMENT: jobID is required");
    expect(parsed(new Uint8Array())).to.equal("INVALID_ARGUMENT: jobID is required");
    const wrong = "INVALID_ARGUMENT: jobID must be a UUID as 16 raw bytes or 36 characters of text";
    expect(parsed(new Uint8Array(15))).to.equal(`${wrong} (got 15 bytes)`);
    expect(parsed(Buffer.from("0b5c9e4e3f6a4b1e9c2d7a8b9c0d1e2f"))).to.equal(`${wrong} (got 32 bytes)`);
    expect(parsed(Buffer.from("0b5c9e4e-3f6a-4b1e-9c2d-7a8b9c0d1e2g"))).to.equal(`${wrong} (got 36 bytes)`);
    expect(parsed(Buffer.from("0b5c9e4e_3f6a_4b1e_9c2d_7a8b9c0d1e2f"))).to.equal(`${wrong} (got 36 bytes)`);
  });
});
