import { expect } from "chai";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PRIVATE_DIR_MODE, PRIVATE_MODE, PUBLIC_MODE, writeFileAtomic } from "../../common/files.js";
import { tempDir } from "../helpers/tmp.js";

describe("writeFileAtomic", () => {
  let dir: { path: string; cleanup: () => void };
  let umask: number;
  beforeEach(() => {
    dir = tempDir("files-");
    // The modes below are asserted as given; a umask would narrow them.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
    dir.cleanup();
  });

  const mode = (path: string) => statSync(path).mode & 0o777;

  it("writes the file with the mode it is given, and leaves no temporary beside it", async () => {
    const key = join(dir.path, "key.pem");
    const cert = join(dir.path, "cert.pem");
    await writeFileAtomic(key, "secret", { mode: PRIVATE_MODE });
    await writeFileAtomic(cert, "public", { mode: PUBLIC_MODE });
    expect(readFileSync(key, "utf8")).to.equal("secret");
    expect(mode(key)).to.equal(0o600);
    expect(mode(cert)).to.equal(0o644);
    expect(readdirSync(dir.path).sort()).to.deep.equal(["cert.pem", "key.pem"]);
  });

  it("replaces an existing file, with the new mode", async () => {
    const path = join(dir.path, "config");
    writeFileSync(path, "old", { mode: 0o644 });
    await writeFileAtomic(path, "new", { mode: PRIVATE_MODE });
    expect(readFileSync(path, "utf8")).to.equal("new");
    expect(mode(path)).to.equal(0o600);
    expect(readdirSync(dir.path)).to.deep.equal(["config"]);
  });

  it("exclusive: fails with EEXIST and keeps the existing file as it was", async () => {
    const path = join(dir.path, "ca.crt");
    writeFileSync(path, "old");
    const failure = await writeFileAtomic(path, "new", { mode: PUBLIC_MODE, exclusive: true }).catch((err: NodeJS.ErrnoException) => err);
    expect((failure as NodeJS.ErrnoException).code).to.equal("EEXIST");
    expect(readFileSync(path, "utf8")).to.equal("old");
    expect(readdirSync(dir.path)).to.deep.equal(["ca.crt"]);
  });

  it("exclusive: writes a file that is not there yet", async () => {
    const path = join(dir.path, "ca.crt");
    await writeFileAtomic(path, "new", { mode: PUBLIC_MODE, exclusive: true });
    expect(readFileSync(path, "utf8")).to.equal("new");
    expect(readdirSync(dir.path)).to.deep.equal(["ca.crt"]);
  });

  it("creates missing directories, private (0700)", async () => {
    const path = join(dir.path, "a", "b", "key.pem");
    await writeFileAtomic(path, "secret", { mode: PRIVATE_MODE });
    expect(readFileSync(path, "utf8")).to.equal("secret");
    expect(mode(join(dir.path, "a"))).to.equal(PRIVATE_DIR_MODE);
    expect(mode(join(dir.path, "a", "b"))).to.equal(PRIVATE_DIR_MODE);
  });

  it("leaves an existing directory's mode alone", async () => {
    const sub = join(dir.path, "shared");
    mkdirSync(sub, { mode: 0o755 });
    await writeFileAtomic(join(sub, "f"), "x", { mode: PRIVATE_MODE });
    expect(mode(sub)).to.equal(0o755);
  });
});
