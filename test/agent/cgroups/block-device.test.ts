// Which disk an io limit applies to: /sys/dev/block, faked in a temporary directory, and this host's /dev/shm.
import { expect } from "chai";
import { mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { wholeDiskFor } from "../../../agent/cgroups/block-device.js";
import { tempDir } from "../../helpers/tmp.js";

describe("cgroups/block-device: io device resolution", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  it("refuses a path with no block device behind it, naming the filesystem", async () => {
    try {
      await wholeDiskFor("/dev/shm");
      expect.fail("tmpfs has no block device");
    } catch (err) {
      expect((err as Error).message).to.match(/no block device behind \/dev\/shm: it is on tmpfs/);
      expect((err as { code: string }).code).to.equal("FAILED_PRECONDITION");
    }
  });

  it("maps a partition to its whole disk through /sys/dev/block", async () => {
    const st = statSync(tmpdir());
    const device = `${Math.floor(st.dev / 256) & 0xfff}:${(st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)}`;
    const sys = join(dir.path, "sys");
    mkdirSync(join(sys, "devices/virtio0/block/vdx/vdx1"), { recursive: true });
    writeFileSync(join(sys, "devices/virtio0/block/vdx/dev"), "254:16\n");
    writeFileSync(join(sys, "devices/virtio0/block/vdx/vdx1/partition"), "1\n");
    mkdirSync(join(sys, "dev/block"), { recursive: true });
    symlinkSync("../../devices/virtio0/block/vdx/vdx1", join(sys, "dev/block", device));
    expect(await wholeDiskFor(tmpdir(), { sysDevBlock: join(sys, "dev/block") })).to.equal("254:16");
  });
});
