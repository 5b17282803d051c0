// jobctl's config file, read from real files in a temporary directory.
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { configSelection, contextNames, loadConfig, readTlsFiles, requireCurrentContext } from "../../ctl/config.js";
import type { MergedConfig } from "../../ctl/config-files.js";
import { ConfigError } from "../../ctl/errors.js";
import { tempDir } from "../helpers/tmp.js";

const VALID = `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: localhost:5000
    certificate-authority: ca.crt
- name: remote
  cluster:
    server: jobs.example.com:5443
    certificate-authority: /etc/jobworker/ca.crt
    tls-server-name: agent.internal
users:
- name: admin
  user:
    client-certificate: clients/admin.crt
    client-key: clients/admin.key
- name: alice
  user:
    client-certificate: ../elsewhere/alice.crt
    client-key: ../elsewhere/alice.key
contexts:
- name: admin
  context: {cluster: local, user: admin}
- name: alice-remote
  context: {cluster: remote, user: alice}
current-context: admin
`;

describe("jobctl config", () => {
  let dir: { path: string; cleanup: () => void };
  beforeEach(() => (dir = tempDir("jobctl-config-")));
  afterEach(() => dir.cleanup());

  function writeConfig(text: string, name = "config"): string {
    const path = join(dir.path, name);
    writeFileSync(path, text);
    return path;
  }

  /** The ConfigError message loadConfig fails with. */
  async function configError(path: string, context?: string): Promise<string> {
    try {
      await loadConfig(path, context);
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as Error).message;
    }
    return expect.fail("expected a ConfigError");
  }

  describe("context selection and path resolution", () => {
    it("uses current-context and resolves relative paths against the config file's directory", async () => {
      const path = writeConfig(VALID);
      const context = await loadConfig(path);
      expect(context).to.deep.include({ configPath: path, contextName: "admin", clusterName: "local", userName: "admin", server: "localhost:5000" });
      expect(context.tlsServerName).to.equal(undefined);
      expect(context.ca.path).to.equal(join(dir.path, "ca.crt"));
      expect(context.cert.path).to.equal(join(dir.path, "clients", "admin.crt"));
      expect(context.key.path).to.equal(join(dir.path, "clients", "admin.key"));
    });

    it("picks the context given, keeps absolute paths and resolves ../ paths", async () => {
      const path = writeConfig(VALID);
      const context = await loadConfig(path, "alice-remote");
      expect(context).to.deep.include({ contextName: "alice-remote", server: "jobs.example.com:5443", tlsServerName: "agent.internal" });
      expect(context.ca.path).to.equal("/etc/jobworker/ca.crt");
      expect(context.cert.path).to.equal(join(dir.path, "..", "elsewhere", "alice.crt"));
    });

    it("resolves against the config file's directory, not the working directory", async () => {
      mkdirSync(join(dir.path, "sub"));
      const path = writeConfig(VALID, join("sub", "jobctl.yaml"));
      const context = await loadConfig(path);
      expect(context.ca.path).to.equal(join(dir.path, "sub", "ca.crt"));
    });

    it("reads the CA, certificate and key the context names", async () => {
      mkdirSync(join(dir.path, "clients"));
      writeFileSync(join(dir.path, "ca.crt"), "CA");
      writeFileSync(join(dir.path, "clients", "admin.crt"), "CERT");
      writeFileSync(join(dir.path, "clients", "admin.key"), "KEY");
      const files = await readTlsFiles(await loadConfig(writeConfig(VALID)));
      expect([files.ca.toString(), files.cert.toString(), files.key.toString()]).to.deep.equal(["CA", "CERT", "KEY"]);
    });
  });

  describe("which files: --config, then JOBCTL_CONFIG, then ~/.jobworker/config", () => {
    it("prefers --config (one file, explicit) over JOBCTL_CONFIG", () => {
      expect(configSelection("/from/flag", { JOBCTL_CONFIG: "/from/env" })).to.deep.equal({ paths: ["/from/flag"], explicit: true });
    });
    it("uses JOBCTL_CONFIG without --config", () => {
      expect(configSelection(undefined, { JOBCTL_CONFIG: "/from/env" })).to.deep.equal({ paths: ["/from/env"], explicit: false });
    });
    it("splits JOBCTL_CONFIG at ':' as kubectl splits KUBECONFIG, skipping empty parts and repeats", () => {
      expect(configSelection(undefined, { JOBCTL_CONFIG: "/a::/b:/a:" }).paths).to.deep.equal(["/a", "/b"]);
    });
    it("falls back to ~/.jobworker/config", () => {
      expect(configSelection(undefined, {}).paths).to.deep.equal([join(homedir(), ".jobworker", "config")]);
      expect(configSelection(undefined, { JOBCTL_CONFIG: "" }).paths).to.deep.equal([join(homedir(), ".jobworker", "config")]);
    });
    it("makes a relative path absolute (against the working directory)", () => {
      expect(configSelection("rel/config", {}).paths).to.deep.equal([join(process.cwd(), "rel", "config")]);
    });
  });

  describe("seed 000's flat client config", () => {
    const FLAT = `serverAddress: "localhost:5000"\nserverCA: "ca.crt"\nclientCertificate: "clients/alice.crt"\nclientKey: "/keys/alice.key"\n`;
    it("is read as one current context, paths relative to the file's directory", async () => {
      mkdirSync(join(dir.path, "seed"));
      const path = writeConfig(FLAT, join("seed", "client.yaml"));
      const context = await loadConfig(path);
      expect(context).to.include({ contextName: "default", server: "localhost:5000" });
      expect(context.ca.path).to.equal(join(dir.path, "seed", "ca.crt"));
      expect(context.cert.path).to.equal(join(dir.path, "seed", "clients", "alice.crt"));
      expect(context.key.path).to.equal("/keys/alice.key");
    });
    it("an unknown key (a typo) is an error naming it", async () => {
      const path = writeConfig(FLAT + "clientKye: x\n");
      expect(await configError(path)).to.include(`config ${path}: clientKye: unknown key in seed 000's client config`);
    });
    it("a missing field, or a server that is not host:port, names seed 000's key", async () => {
      const missing = writeConfig(FLAT.replace(/clientKey.*\n/, ""));
      expect(await configError(missing)).to.equal(`config ${missing}: clientKey: missing`);
      const url = writeConfig(FLAT.replace("localhost:5000", "https://localhost:5000"), "url.yaml");
      expect(await configError(url)).to.include(`config ${url}: serverAddress: expected host:port`);
    });
  });

  describe("errors name the file and the field", () => {
    const cases: { name: string; edit: (text: string) => string; context?: string; expected: string }[] = [
      {
        name: "a context's user that does not exist",
        edit: (t) => t.replace("{cluster: remote, user: alice}", "{cluster: remote, user: carol}"),
        context: "alice-remote",
        expected: 'contexts[1].context.user: user "carol" not found',
      },
      {
        name: "a context's cluster that does not exist",
        edit: (t) => t.replace("{cluster: local, user: admin}", "{cluster: nowhere, user: admin}"),
        expected: 'contexts[0].context.cluster: cluster "nowhere" not found',
      },
      {
        name: "--context naming no context",
        edit: (t) => t,
        context: "bob",
        expected: 'contexts: context "bob" not found (from --context); contexts: admin, alice-remote',
      },
      {
        name: "current-context naming no context",
        edit: (t) => t.replace("current-context: admin", "current-context: gone"),
        expected: 'current-context: context "gone" not found; contexts: admin, alice-remote',
      },
      {
        name: "no current-context and no --context",
        edit: (t) => t.replace("current-context: admin", ""),
        expected: "current-context: not set; pass --context NAME (contexts: admin, alice-remote)",
      },
      {
        name: "a missing server",
        edit: (t) => t.replace("    server: localhost:5000\n", ""),
        expected: "clusters[0].cluster.server: missing",
      },
      {
        name: "a server that is a URL",
        edit: (t) => t.replace("server: localhost:5000", "server: https://localhost:5000"),
        expected: 'clusters[0].cluster.server: expected host:port, got "https://localhost:5000"',
      },
      {
        name: "a missing client key",
        edit: (t) => t.replace("    client-key: clients/admin.key\n", ""),
        expected: "users[0].user.client-key: missing",
      },
      {
        name: "a certificate path that is not a string",
        edit: (t) => t.replace("certificate-authority: ca.crt", "certificate-authority: [a, b]"),
        expected: "clusters[0].cluster.certificate-authority: expected a string",
      },
      {
        name: "an entry without a name",
        edit: (t) => t.replace("- name: alice\n", "- nom: alice\n"),
        expected: "users[1].name: missing",
      },
      {
        name: "a duplicate name",
        edit: (t) => t.replace("- name: alice\n", "- name: admin\n"),
        expected: 'users[1].name: duplicate name "admin"',
      },
      {
        name: "contexts that is not a list",
        edit: (t) => t.replace(/contexts:\n(- .*\n {2}.*\n)+/, "contexts: {}\n"),
        expected: "contexts: expected a list",
      },
      {
        name: "the wrong kind",
        edit: (t) => t.replace("kind: Config", "kind: Pod"),
        expected: 'kind: expected "Config", got "Pod"',
      },
    ];
    for (const { name, edit, context, expected } of cases) {
      it(name, async () => {
        const path = writeConfig(edit(VALID));
        expect(await configError(path, context)).to.equal(`config ${path}: ${expected}`);
      });
    }

    it("a file that does not exist", async () => {
      const path = join(dir.path, "missing");
      expect(await configError(path)).to.equal(`config ${path}: cannot read: no such file`);
    });

    it("invalid YAML", async () => {
      const path = writeConfig("clusters: [unclosed\n");
      expect(await configError(path)).to.match(new RegExp(`^config ${path}: invalid YAML: .+`));
    });

    it("YAML that is not a mapping", async () => {
      const path = writeConfig("- just\n- a list\n");
      expect(await configError(path)).to.equal(`config ${path}: expected a mapping with clusters, users and contexts`);
    });

    it("an unreadable certificate names the field that points at it", async () => {
      const path = writeConfig(VALID);
      try {
        await readTlsFiles(await loadConfig(path));
        expect.fail("expected a ConfigError");
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as Error).message).to.equal(
          `config ${path}: clusters[0].cluster.certificate-authority: cannot read ${join(dir.path, "ca.crt")}: no such file`,
        );
      }
    });
  });
});

describe("jobctl config: the context names and current-context, for the config verbs", () => {
  /** A merged config of two files with `contexts` and, if given, current-context. */
  function merged(contexts: string[], current?: string): MergedConfig {
    const entries = new Map(contexts.map((name) => [name, { name, body: {}, field: "contexts[0].context", file: "/a" }]));
    return {
      selection: { paths: ["/a", "/b"], explicit: false },
      files: [],
      entries: { clusters: new Map(), users: new Map(), contexts: entries },
      ...(current !== undefined && { currentContext: { name: current, file: "/b" } }),
    };
  }

  it("contextNames lists them for a message, or says there are none", () => {
    expect(contextNames(merged(["admin", "alice"]))).to.equal("admin, alice");
    expect(contextNames(merged([]))).to.equal("(none)");
  });

  it("requireCurrentContext gives its name and file, or a ConfigError naming every file read", () => {
    expect(requireCurrentContext(merged(["admin"], "admin"))).to.deep.equal({ name: "admin", file: "/b" });
    expect(() => requireCurrentContext(merged(["admin"]))).to.throw(ConfigError, "config /a:/b: current-context: not set");
  });
});
