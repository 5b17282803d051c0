// agent/specs/manifest.ts: job spec documents checked as strictly as the
// AgentConfig, every problem with its line, defaults filled in, and the
// document form written back out.
import { expect } from "chai";
import { ConfigFileError } from "../../../agent/config/load.js";
import { documentOf, MAX_DOCUMENTS, parseManifests } from "../../../agent/specs/manifest.js";
import { DEFAULT_BACKOFF, specHash } from "../../../agent/specs/spec.js";

const doc = (name: string, spec = "  command: /bin/true\n") => `apiVersion: jobworker/v1\nkind: Job\nmetadata: {name: ${name}}\nspec:\n${spec}`;

function problems(text: string): string[] {
  try {
    parseManifests("m.yaml", text);
  } catch (err) {
    if (err instanceof ConfigFileError) return err.problems;
    throw err;
  }
  throw new Error("expected the manifest to be refused");
}

describe("specs/manifest", () => {
  it("fills in kubelet's back-off, Always, and no limits for a minimal spec", () => {
    const [spec] = parseManifests("m.yaml", doc("web"));
    expect(spec).to.deep.include({ name: "web", command: "/bin/true", args: [], restartPolicy: "Always", restartPreventExitCodes: [], labels: {} });
    expect(spec!.backoff).to.deep.equal(DEFAULT_BACKOFF);
    expect(spec!.gracePeriodMs).to.equal(undefined);
    expect(Object.values(spec!.limits).every((v) => v === 0)).to.equal(true);
  });

  it("reads every field: limits as quantities, durations, labels, prevented codes", () => {
    const [spec] = parseManifests("m.yaml", doc("web", [
      "  command: /usr/bin/python3", "  args: [-m, http.server]", "  limits: {cpu: 0.5, memory: 256Mi, pids: 64}", "  gracePeriod: 2s",
      "  restartPolicy: OnFailure", "  backoff: {initial: 500ms, max: 1m, resetAfter: 30s}", "  restartPreventExitCodes: [2, 3]", "",
    ].join("\n")).replace("{name: web}", "{name: web, labels: {tier: frontend}}"));
    expect(spec).to.deep.include({ args: ["-m", "http.server"], gracePeriodMs: 2000, restartPolicy: "OnFailure", restartPreventExitCodes: [2, 3], labels: { tier: "frontend" } });
    expect(spec!.limits).to.deep.include({ cpuCores: 0.5, memoryBytes: 256 * 2 ** 20, pids: 64 });
    expect(spec!.backoff).to.deep.equal({ initialMs: 500, maxMs: 60_000, resetAfterMs: 30_000 });
  });

  it("reports every problem of every document at once, each with its line", () => {
    const found = problems(`${doc("Bad_Name")}---\n${doc("ok", "  command: /bin/true\n  restartPolicy: Sometimes\n  extra: 1\n")}---\n${doc("short", "  command: x\n  backoff: {max: 50ms}\n")}`);
    expect(found).to.deep.equal([
      'line 3: /metadata/name: got "Bad_Name", expected a DNS label: lower-case letters, digits and \'-\', at most 63, starting and ending with a letter or digit; unique per agent',
      "line 13: /spec/extra: unknown key (not in the schema)",
      'line 12: /spec/restartPolicy: got "Sometimes", expected one of "Always", "OnFailure", "Never"',
      'line 20: /spec/backoff/max: got "50ms", expected at least 1s',
    ]);
  });

  it("refuses a name defined twice, YAML syntax errors, the wrong kind, and more than MAX_DOCUMENTS documents", () => {
    expect(problems(`${doc("web")}---\n${doc("web")}`)).to.deep.equal(['line 9: /metadata/name: "web" is already defined at line 3']);
    expect(problems("apiVersion: jobworker/v1\nkind: [unclosed\n")[0]).to.match(/^line \d: YAML: /);
    expect(problems(doc("web").replace("kind: Job", "kind: AgentConfig"))[0]).to.match(/\/kind: got "AgentConfig", expected "Job"/);
    expect(problems(Array.from({ length: MAX_DOCUMENTS + 1 }, (_, i) => doc(`j${i}`)).join("---\n"))).to.deep.equal([`${MAX_DOCUMENTS + 1} documents: at most ${MAX_DOCUMENTS} per file or request`]);
  });

  it("refuses an alias bomb as a problem of the manifest, not an internal error", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
    expect(problems(bomb)[0]).to.match(/^YAML: .*alias/i);
  });

  it("skips empty documents (a leading or trailing ---)", () => {
    expect(parseManifests("m.yaml", `---\n${doc("web")}---\n`).map((s) => s.name)).to.deep.equal(["web"]);
  });

  it("writes a spec back as a document that parses to the same spec (same hash)", () => {
    const [spec] = parseManifests("m.yaml", doc("web", "  command: sleep\n  args: ['1']\n  limits: {memory: 1Gi}\n  restartPolicy: Never\n"));
    const text = `${JSON.stringify(documentOf(spec!))}\n`; // JSON is YAML
    const [again] = parseManifests("again.json", text);
    expect(again).to.deep.equal(spec);
    expect(specHash(again!)).to.equal(specHash(spec!));
    expect(documentOf(spec!).spec.limits).to.deep.equal({ memory: "1Gi" });
  });

  it("hashes equal specs alike whatever the order of their labels, and differently once anything changes", () => {
    const [a] = parseManifests("m.yaml", doc("web").replace("{name: web}", "{name: web, labels: {a: '1', b: '2'}}"));
    const [b] = parseManifests("m.yaml", doc("web").replace("{name: web}", "{name: web, labels: {b: '2', a: '1'}}"));
    const [c] = parseManifests("m.yaml", doc("web", "  command: /bin/false\n").replace("{name: web}", "{name: web, labels: {a: '1', b: '2'}}"));
    expect(specHash(a!)).to.equal(specHash(b!));
    expect(specHash(c!)).to.not.equal(specHash(a!));
  });
});
