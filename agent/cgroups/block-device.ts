// io.max takes a whole-disk MAJ:MIN. Resolve it from a path: the device of
// the filesystem holding it (stat), through the mount's source when the
// filesystem reports an anonymous device (btrfs), and from a partition to its
// disk through /sys/dev/block.
import { readFile, realpath, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FailedPreconditionError } from "../errors.js";

export interface BlockDeviceLookup {
  sysDevBlock?: string;
  mountInfo?: string;
}

export async function wholeDiskFor(path: string, lookup: BlockDeviceLookup = {}): Promise<string> {
  const sysDevBlock = lookup.sysDevBlock ?? "/sys/dev/block";
  let device = toMajMin((await stat(path, { bigint: true })).dev);
  if (device.startsWith("0:")) {
    const mount = await mountOf(await realpath(path), lookup.mountInfo ?? "/proc/self/mountinfo");
    if (!mount?.source.startsWith("/dev/")) {
      throw new FailedPreconditionError(
        `no block device behind ${path}: it is on ${mount?.fsType ?? "an unknown filesystem"}${mount ? ` (${mount.source})` : ""}, so io limits cannot apply`,
      );
    }
    device = toMajMin((await stat(mount.source, { bigint: true })).rdev);
  }
  const sysPath = join(sysDevBlock, device);
  const isPartition = await stat(join(sysPath, "partition")).then(() => true, () => false);
  if (!isPartition) {
    await stat(sysPath).catch(() => {
      throw new FailedPreconditionError(`device ${device} behind ${path} is not a block device known to ${sysDevBlock}`);
    });
    return device;
  }
  // /sys/dev/block/8:1 -> ../../devices/.../block/sda/sda1; the disk is its parent.
  const disk = dirname(await realpath(sysPath));
  return (await readFile(join(disk, "dev"), "utf8")).trim();
}

function toMajMin(dev: bigint): string {
  // glibc's gnu_dev_major / gnu_dev_minor.
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

interface Mount {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** The mount holding a path: the longest mount point that is a prefix of it (the last one wins when stacked). */
async function mountOf(path: string, mountInfo: string): Promise<Mount | undefined> {
  let best: Mount | undefined;
  for (const line of (await readFile(mountInfo, "utf8")).split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-");
    if (separator < 0) continue;
    const mountPoint = unescape(fields[4]);
    const inside = path === mountPoint || path.startsWith(mountPoint === "/" ? "/" : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) {
      best = { mountPoint, fsType: fields[separator + 1], source: unescape(fields[separator + 2]) };
    }
  }
  return best;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
