// io controller: io.max per device and io.stat usage per device.
import type { CgroupFs } from "../cgroupfs.js";

export interface IoLimits {
  readBps: number;
  writeBps: number;
  readIops: number;
  writeIops: number;
}

export interface IoDeviceStat {
  device: string; // "MAJ:MIN"
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}

export function hasIoLimits(limits: IoLimits): boolean {
  return limits.readBps > 0 || limits.writeBps > 0 || limits.readIops > 0 || limits.writeIops > 0;
}

/** Writes io.max for one whole-disk device "MAJ:MIN"; 0 leaves a key unlimited. */
export async function setIo(fs: CgroupFs, cgroup: string, device: string, limits: IoLimits): Promise<void> {
  const keys: [string, number][] = [["rbps", limits.readBps], ["wbps", limits.writeBps], ["riops", limits.readIops], ["wiops", limits.writeIops]];
  const settings = keys.filter(([, v]) => v > 0).map(([k, v]) => `${k}=${Math.floor(v)}`);
  if (settings.length > 0) await fs.write(cgroup, "io.max", `${device} ${settings.join(" ")}`);
}

/** io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per line. */
export async function statIo(fs: CgroupFs, cgroup: string): Promise<IoDeviceStat[]> {
  const text = await fs.read(cgroup, "io.stat");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [device, ...pairs] = line.trim().split(/\s+/);
      const v = Object.fromEntries(pairs.map((p) => p.split("=")).map(([k, n]) => [k, Number(n)]));
      return { device, readBytes: v.rbytes ?? 0, writeBytes: v.wbytes ?? 0, readOps: v.rios ?? 0, writeOps: v.wios ?? 0 };
    });
}
