// Which address a per-address connection cap counts (no agent needed).
import { expect } from "chai";
import { addressKey } from "../../../agent/api/peer-address.js";

describe("api/peer-address: the address a per-address cap counts", () => {
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
});
