// The pieces of the connection policy that need no agent: which address a
// per-address cap counts, and the throttled log of refusals.
import { expect } from "chai";
import { addressKey } from "../../../agent/api/peer-address.js";
import { ThrottledLog } from "../../../agent/api/throttled-log.js";
import { timerMs } from "../../../agent/api/connection-guard.js";

describe("connection policy", () => {
  it("counts IPv4 addresses as themselves, unwrapped from IPv4-mapped IPv6", () => {
    expect(addressKey("192.0.2.7")).to.equal("192.0.2.7");
    expect(addressKey("::ffff:192.0.2.7")).to.equal("192.0.2.7");
    expect(addressKey(undefined)).to.equal("unknown");
  });

  it("counts IPv6 addresses by their /64, however they are written", () => {
    const key = "2001:db8:0:1::/64";
    for (const address of ["2001:db8:0:1::1", "2001:0db8:0000:0001:ffff:ffff:ffff:ffff", "2001:DB8::1:0:0:0:5", "2001:db8:0:1::192.0.2.1"]) {
      expect(addressKey(address), address).to.equal(key);
    }
    expect(addressKey("2001:db8:0:2::1")).to.not.equal(key);
    expect(addressKey("::1")).to.equal("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).to.equal("fe80:0:0:0::/64");
  });

  it("logs one line per kind per interval, with how many it stands for", () => {
    let now = 0;
    const lines: object[] = [];
    const log = new ThrottledLog(10_000, () => now);
    const write = (fields: object) => lines.push(fields);
    for (let i = 0; i < 5; i++) log.note("max_connections", write, { i }, "refused");
    log.note("evicted", write, {}, "closed");
    now = 10_000;
    log.note("max_connections", write, { i: 5 }, "refused");
    expect(lines).to.deep.equal([
      { i: 0, kind: "max_connections", count: 1 },
      { kind: "evicted", count: 1 },
      { i: 5, kind: "max_connections", count: 5 },
    ]);
  });

  it("keeps timer durations where Node's timers work (past 2^31-1 ms they fire at once)", () => {
    expect(timerMs(10_000)).to.equal(10_000);
    expect(timerMs(100 * 24 * 3600_000)).to.equal(2 ** 31 - 1);
  });
});
