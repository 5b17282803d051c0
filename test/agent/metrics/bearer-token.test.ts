// The metrics bearer token file: refused when others could read or change it.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bearerMatches, readBearerToken } from "../../../agent/metrics/bearer-token.js";
import { tempDir } from "../../helpers/tmp.js";
import { writeTokenFile } from "../../helpers/metrics/scrape-pki.js";

describe("metrics bearer token file", () => {
  const dir = tempDir();
  after(() => dir.cleanup());

  it("reads the token trimmed, as Prometheus sends credentials_file; accepts modes 600, 400 and 640", async () => {
    const path = writeTokenFile(join(dir.path, "ok"), "  abc.DEF-123  ");
    for (const mode of [0o600, 0o400, 0o640]) {
      chmodSync(path, mode);
      const token = await readBearerToken(path);
      expect(bearerMatches("Bearer abc.DEF-123", token), mode.toString(8)).to.equal(true);
      expect(bearerMatches("Bearer abc.DEF-12", token)).to.equal(false);
      expect(bearerMatches(undefined, token)).to.equal(false);
    }
  });

  it("refuses a world-readable, group-writable or world-writable file", async () => {
    const path = writeTokenFile(join(dir.path, "loose"), "abc");
    for (const mode of [0o644, 0o604, 0o620, 0o602, 0o666]) {
      chmodSync(path, mode);
      const err = await readBearerToken(path).then(() => undefined, (e: Error) => e);
      expect(err?.message, mode.toString(8)).to.match(new RegExp(`is mode ${mode.toString(8)}: it must not be world-readable`));
    }
  });

  it("refuses a file owned by someone other than root or the agent, an empty one, a missing one", async () => {
    const foreign = writeTokenFile(join(dir.path, "foreign"), "abc");
    if (process.getuid?.() === 0) chownSync(foreign, 4242, 4242); // root's own files always pass; not root, ours are foreign to another agent uid
    const owner = statSync(foreign).uid;
    expect(await readBearerToken(foreign, owner + 1).then(() => "", (e: Error) => e.message)).to.include(`owned by uid ${owner}: it must belong to root or to the agent's user`);
    expect(await readBearerToken(foreign, owner).then(() => "read", (e: Error) => e.message)).to.equal("read"); // the agent's own user
    const empty = join(dir.path, "empty");
    writeFileSync(empty, " \n", { mode: 0o600 });
    expect(await readBearerToken(empty).then(() => "", (e: Error) => e.message)).to.match(/is empty/);
    expect(await readBearerToken(join(dir.path, "missing")).then(() => "", (e: Error) => e.message)).to.match(/ENOENT/);
  });

  it("checks the file a symbolic link leads to (as in a Kubernetes secret volume); refuses a FIFO (without hanging) and a token with whitespace inside", async () => {
    const real = writeTokenFile(join(dir.path, "real"), "abc");
    symlinkSync(real, join(dir.path, "link"));
    expect(bearerMatches("Bearer abc", await readBearerToken(join(dir.path, "link")))).to.equal(true);
    chmodSync(real, 0o644);
    expect(await readBearerToken(join(dir.path, "link")).then(() => "", (e: Error) => e.message)).to.match(/is mode 644/);
    const fifo = join(dir.path, "fifo");
    execFileSync("mkfifo", ["-m", "600", fifo]);
    expect(await readBearerToken(fifo).then(() => "", (e: Error) => e.message)).to.match(/is not a regular file/);
    const spaced = writeTokenFile(join(dir.path, "spaced"), "abc def");
    expect(await readBearerToken(spaced).then(() => "", (e: Error) => e.message)).to.match(/whitespace inside the token/);
  });
});
