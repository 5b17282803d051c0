import { expect } from "chai";
import { parse } from "yaml";
import { formatStructured, listOf, toJsonObject } from "../../ctl/output-format.js";

describe("jobctl -o json|yaml", () => {
  it("renders agent messages in protobuf's JSON mapping", () => {
    const message = { id: "x", startTime: { seconds: "1735787040", nanos: 5_000_000 }, endTime: null, usage: null, outputBytes: "12", raw: Buffer.from([1, 2]), args: ["a"] };
    expect(toJsonObject(message)).to.deep.equal({ id: "x", startTime: "2025-01-02T03:04:00.005Z", outputBytes: "12", raw: "AQI=", args: ["a"] });
  });
  it("wraps objects in a kubectl-style List that parses back as JSON and as YAML", () => {
    const list = listOf([{ id: "a" }, { id: "b" }]);
    expect(JSON.parse(formatStructured(list, "json"))).to.deep.equal({ apiVersion: "jobworker/v1", kind: "List", items: [{ id: "a" }, { id: "b" }] });
    expect(parse(formatStructured(list, "yaml"))).to.deep.equal(list);
    expect(formatStructured(list, "yaml")).to.include("items:\n- id: a\n");
  });
});
