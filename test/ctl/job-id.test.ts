import { expect } from "chai";
import { UsageError } from "../../ctl/errors.js";
import { jobIdFromResponse, jobIdToWire, parseJobId, pickJobId } from "../../ctl/job-id.js";

const ID = "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d";

describe("jobctl job ids", () => {
  it("accepts the 36-character UUID text, in either case", () => {
    expect(parseJobId(ID)).to.equal(ID);
    expect(parseJobId(ID.toUpperCase())).to.equal(ID);
  });
  for (const bad of ["", "nope", ID.slice(1), `${ID}0`, ID.replace(/-/g, ""), ID.replace("0", "g"), ` ${ID}`]) {
    it(`rejects ${JSON.stringify(bad)} as a usage error`, () => expect(() => parseJobId(bad)).to.throw(UsageError, /malformed job id/));
  }
  it("sends the text form as bytes", () => expect(jobIdToWire(ID).toString()).to.equal(ID));
  it("prints the response's text id, or formats the 16 raw bytes", () => {
    expect(jobIdFromResponse({ id: ID, jobID: Buffer.alloc(16) })).to.equal(ID);
    expect(jobIdFromResponse({ id: "", jobID: Buffer.from(ID.replace(/-/g, ""), "hex") })).to.equal(ID);
  });
  it("takes the id from the argument or -j, not two different ones", () => {
    expect(pickJobId(ID, undefined)).to.equal(ID);
    expect(pickJobId(undefined, ID)).to.equal(ID);
    expect(pickJobId(ID, ID)).to.equal(ID);
    expect(() => pickJobId(ID, ID.replace("0b", "1b"))).to.throw(UsageError, /two different job ids/);
    expect(() => pickJobId(undefined, undefined)).to.throw(UsageError, /job id is required/);
  });
});
