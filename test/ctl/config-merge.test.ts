// Several config files merged as kubectl merges KUBECONFIG, inline key data
// and tokens, edits that land in the right file, and the redacted view.
import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, readTlsFiles } from "../../ctl/config.js";
import { readMergedConfig, type ConfigSelection } from "../../ctl/config-files.js";
import { editConfigFile, entryBody, fileForNewValues } from "../../ctl/config-edit.js";
import { viewConfig } from "../../ctl/config-view.js";
import { ConfigError } from "../../ctl/errors.js";
import { tempDir } from "../helpers/tmp.js";

const FIRST = `# team file: comments survive edits
clusters:
- name: local
  cluster: {server: localhost:5000, certificate-authority: ca.crt}
users:
- name: alice
  user: {client-certificate: alice.crt, client-key: alice.key}
contexts:
- name: alice
  context: {cluster: local, user: alice}
`;

const SECOND = `clusters:
- name: local
  cluster: {server: shadowed:1, certificate-authority: other-ca.crt}
- name: remote
  cluster: {server: remote:5443, certificate-authority-data: ${Buffer.from("CA PEM").toString("base64")}}
users:
- name: alice
  user: {client-certificate: shadowed.crt, client-key: shadowed.key}
- name: bob
  user:
    client-certificate-data: ${Buffer.from("CERT PEM").toString("base64")}
    client-key-data: ${Buffer.from("KEY PEM").toString("base64")}
    token: header.payload.signature
contexts:
- name: alice
  context: {cluster: remote, user: bob}
- name: bob-remote
  context: {cluster: remote, user: bob}
current-context: bob-remote
`;

describe("jobctl config: several files, inline data, tokens, edits, view", () => {
  let dir: { path: string; cleanup: () => void };
  let first: string;
  let second: string;
  let both: ConfigSelection;
  beforeEach(() => {
    dir = tempDir("jobctl-merge-");
    mkdirSync(join(dir.path, "a"));
    mkdirSync(join(dir.path, "b"));
    first = join(dir.path, "a", "config");
    second = join(dir.path, "b", "config");
    writeFileSync(first, FIRST);
    writeFileSync(second, SECOND);
    both = { paths: [first, second], explicit: false };
  });
  afterEach(() => dir.cleanup());

  describe("merging (first file to define a name wins, whole)", () => {
    it("takes each entry from the first file that defines its name, current-context from the first that sets it", async () => {
      const merged = await readMergedConfig(both);
      expect([...merged.entries.contexts.keys()]).to.deep.equal(["alice", "bob-remote"]);
      expect(merged.entries.contexts.get("alice")!.file).to.equal(first);
      expect(merged.entries.clusters.get("local")!.body.server).to.equal("localhost:5000");
      expect(merged.currentContext).to.deep.equal({ name: "bob-remote", file: second });
    });

    it("resolves relative paths against the directory of the file that names them", async () => {
      const alice = await loadConfig(both, "alice");
      expect(alice).to.deep.include({ server: "localhost:5000", userName: "alice", userFile: first, configPath: first });
      expect(alice.ca.path).to.equal(join(dir.path, "a", "ca.crt"));
      expect(alice.cert.path).to.equal(join(dir.path, "a", "alice.crt"));
    });

    it("reads inline -data fields (base64 PEM) and the token", async () => {
      const bob = await loadConfig(both);
      expect(bob).to.deep.include({ contextName: "bob-remote", server: "remote:5443", token: "header.payload.signature", userFile: second });
      const files = await readTlsFiles(bob);
      expect([files.ca.toString(), files.cert.toString(), files.key.toString()]).to.deep.equal(["CA PEM", "CERT PEM", "KEY PEM"]);
    });

    it("skips listed files that do not exist, as kubectl does", async () => {
      const merged = await readMergedConfig({ paths: [join(dir.path, "nope"), second], explicit: false });
      expect(merged.currentContext?.name).to.equal("bob-remote");
    });

    it("fails, naming the first file, when none of them exists", async () => {
      const missing = join(dir.path, "nope");
      await expectConfigError(readMergedConfig({ paths: [missing, join(dir.path, "nope2")], explicit: false }), new RegExp(`^config ${missing}: cannot read: no such file`));
    });

    it("names the file of the context whose user is missing", async () => {
      writeFileSync(first, FIRST.replace("{cluster: local, user: alice}", "{cluster: local, user: carol}"));
      await expectConfigError(loadConfig(both, "alice"), new RegExp(`^config ${first}: contexts\\[0\\]\\.context\\.user: user "carol" not found$`));
    });
  });

  describe("errors name the file and field", () => {
    const cases: [string, (text: string) => string, string][] = [
      ["a path and inline data for the same thing", (t) => t.replace("client-key-data:", "client-key: bob.key\n    client-key-data:"), "users[1].user.client-key: set either client-key or client-key-data, not both"],
      ["inline data that is not base64", (t) => t.replace(/client-key-data: .*/, "client-key-data: not*base64"), "users[1].user.client-key-data: not base64"],
      ["a token that cannot be sent as metadata", (t) => t.replace("token: header.payload.signature", 'token: "two words"'), "users[1].user.token: not a token (printable ASCII without spaces)"],
    ];
    for (const [name, edit, expected] of cases) {
      it(name, async () => {
        writeFileSync(second, edit(SECOND));
        await expectConfigError(loadConfig(second), new RegExp(`^config ${second}: ${expected.replace(/[()[\]]/g, "\\$&")}$`));
      });
    }
  });

  describe("edits go where kubectl puts them", () => {
    it("new values go to the first file that exists; --config's file when explicit", async () => {
      expect(fileForNewValues(await readMergedConfig(both))).to.equal(first);
      const nope = join(dir.path, "nope");
      expect(fileForNewValues(await readMergedConfig({ paths: [nope, second], explicit: false }))).to.equal(second);
      expect(fileForNewValues(await readMergedConfig({ paths: [nope], explicit: false }, { allowMissing: true }))).to.equal(nope);
    });

    it("keeps comments and the other entries, and writes mode 0600", async () => {
      await editConfigFile(first, (doc) => {
        entryBody(doc, "users", "alice", false)!.set("token", "t.o.k");
        entryBody(doc, "contexts", "new", true)!.set("cluster", "local");
      });
      const text = readFileSync(first, "utf8");
      expect(text).to.match(/^# team file: comments survive edits\n/);
      expect(text).to.include("token: t.o.k").and.include("- name: new\n  context:\n    cluster: local\n");
      expect((await loadConfig(first, "alice")).token).to.equal("t.o.k");
    });

    it("creates a config file that does not exist yet", async () => {
      const fresh = join(dir.path, "fresh", "config");
      mkdirSync(join(dir.path, "fresh"));
      await editConfigFile(fresh, (doc) => doc.set("current-context", "x"));
      expect(readFileSync(fresh, "utf8")).to.equal("apiVersion: v1\nkind: Config\ncurrent-context: x\n");
    });
  });

  describe("view", () => {
    it("shows the merged entries with absolute paths, key data and tokens hidden", async () => {
      const view = viewConfig(await readMergedConfig(both));
      expect(view["current-context"]).to.equal("bob-remote");
      expect(view.users).to.deep.equal([
        { name: "alice", user: { "client-certificate": join(dir.path, "a", "alice.crt"), "client-key": join(dir.path, "a", "alice.key") } },
        { name: "bob", user: { "client-certificate-data": "DATA+OMITTED", "client-key-data": "DATA+OMITTED", token: "REDACTED" } },
      ]);
    });

    it("--raw shows them; --minify keeps only the context in use", async () => {
      const view = viewConfig(await readMergedConfig(both), { raw: true, minify: true, context: "alice" });
      expect(view.contexts).to.deep.equal([{ name: "alice", context: { cluster: "local", user: "alice" } }]);
      expect((view.clusters as { name: string }[]).map((c) => c.name)).to.deep.equal(["local"]);
      expect(view["current-context"]).to.equal("alice");
      const raw = viewConfig(await readMergedConfig(both), { raw: true });
      expect(JSON.stringify(raw)).to.include("header.payload.signature").and.include(Buffer.from("KEY PEM").toString("base64"));
    });
  });
});

async function expectConfigError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(pattern);
    return;
  }
  expect.fail("expected a ConfigError");
}
