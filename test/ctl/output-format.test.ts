import { expect } from "chai";
import { parse } from "yaml";
import { formatStructured, listOf, printList, toJsonObject, type ListPrinter, type OutputFormat } from "../../ctl/output-format.js";

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

describe("jobctl list output (printList)", () => {
  const printer: ListPrinter<{ id: string }> = {
    table: (items) => `TABLE ${items.map((item) => item.id).join(",")}\n`,
    wide: (items) => `WIDE ${items.map((item) => item.id).join(",")}\n`,
    name: (item) => `job/${item.id}`,
    none: "No jobs found.",
  };

  /** What printList writes to stdout and to stderr. */
  function printed(items: { id: string }[], output: OutputFormat, shownBy: ListPrinter<{ id: string }> = printer): { stdout: string; stderr: string } {
    let stdout = "";
    let stderr = "";
    printList(items, output, shownBy, { write: (text: string) => (stdout += text) }, { write: (text: string) => (stderr += text) });
    return { stdout, stderr };
  }

  it("a table, or the wide one, for people", () => {
    expect(printed([{ id: "a" }, { id: "b" }], "table")).to.deep.equal({ stdout: "TABLE a,b\n", stderr: "" });
    expect(printed([{ id: "a" }], "wide")).to.deep.equal({ stdout: "WIDE a\n", stderr: "" });
  });

  it("an empty table is a note on stderr, and stdout stays empty", () => {
    expect(printed([], "table")).to.deep.equal({ stdout: "", stderr: "No jobs found.\n" });
    expect(printed([], "wide")).to.deep.equal({ stdout: "", stderr: "No jobs found.\n" });
  });

  it("-o name: one name a line, nothing at all for none", () => {
    expect(printed([{ id: "a" }, { id: "b" }], "name")).to.deep.equal({ stdout: "job/a\njob/b\n", stderr: "" });
    expect(printed([], "name")).to.deep.equal({ stdout: "", stderr: "" });
  });

  it("-o json and yaml: a List, an empty one for none", () => {
    expect(JSON.parse(printed([{ id: "a" }], "json").stdout)).to.deep.equal(listOf([{ id: "a" }]));
    expect(parse(printed([], "yaml").stdout)).to.deep.equal(listOf([]));
    expect(printed([], "json").stderr).to.equal("");
  });

  it("a verb without a wide table shows its table for -o wide", () => {
    expect(printed([{ id: "a" }], "wide", { table: printer.table, none: printer.none })).to.deep.equal({ stdout: "TABLE a\n", stderr: "" });
  });
});
