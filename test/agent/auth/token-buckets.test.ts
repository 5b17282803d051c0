// Token buckets by key and the bounded set, with a fake clock: no sleeps.
import { expect } from "chai";
import { BoundedSet, TokenBuckets } from "../../../agent/auth/token-buckets.js";

describe("auth/token-buckets", () => {
  describe("TokenBuckets", () => {
    it("a key has `burst` tokens; each take uses one; then it waits until one has refilled", () => {
      const buckets = new TokenBuckets({ burst: 3, refillEveryMs: 1000 }, 10);
      for (let i = 0; i < 3; i++) {
        expect(buckets.waitMs("k", 0)).to.equal(0);
        buckets.take("k", 0);
      }
      expect(buckets.waitMs("k", 0)).to.equal(1000);
      expect(buckets.waitMs("k", 400)).to.equal(600);
      expect(buckets.waitMs("k", 1000)).to.equal(0);
      expect(buckets.waitMs("other", 0), "keys are independent").to.equal(0);
    });

    it("refills one token per refillEveryMs, never past burst", () => {
      const buckets = new TokenBuckets({ burst: 2, refillEveryMs: 1000 }, 10);
      buckets.take("k", 0);
      buckets.take("k", 0);
      buckets.take("k", 100_000); // long idle: full (2) again, one taken
      buckets.take("k", 100_000);
      expect(buckets.waitMs("k", 100_000)).to.equal(1000);
    });

    it("give() returns a token (an attempt that did not count)", () => {
      const buckets = new TokenBuckets({ burst: 1, refillEveryMs: 60_000 }, 10);
      buckets.take("k", 0);
      expect(buckets.waitMs("k", 0)).to.equal(60_000);
      buckets.give("k", 0);
      expect(buckets.waitMs("k", 0)).to.equal(0);
    });

    it("a full bucket is dropped: it carries no information", () => {
      const buckets = new TokenBuckets({ burst: 2, refillEveryMs: 1000 }, 10);
      buckets.take("k", 0);
      expect(buckets.size).to.equal(1);
      buckets.give("k", 0);
      expect(buckets.size).to.equal(0);
    });

    it("a clock going backwards refills nothing and drains nothing", () => {
      const buckets = new TokenBuckets({ burst: 1, refillEveryMs: 1000 }, 10);
      buckets.take("k", 5000);
      expect(buckets.waitMs("k", 1000)).to.equal(1000);
      expect(buckets.waitMs("k", 6000)).to.equal(0);
    });

    it("refillEveryMs 0 is no limit", () => {
      const buckets = new TokenBuckets({ burst: 1, refillEveryMs: 0 }, 10);
      for (let i = 0; i < 5; i++) {
        expect(buckets.waitMs("k", 0)).to.equal(0);
        buckets.take("k", 0);
      }
    });

    it("holds at most maxKeys buckets, dropping the least recently touched (which has refilled the longest)", () => {
      const buckets = new TokenBuckets({ burst: 1, refillEveryMs: 60_000 }, 2);
      buckets.take("a", 0);
      buckets.take("b", 1);
      buckets.give("a", 2); // touched again: "a" is now full, so dropped...
      buckets.take("a", 3); // ...and back, most recently touched
      buckets.take("c", 4);
      expect(buckets.size).to.equal(2);
      expect(buckets.waitMs("b", 4), "b went: a fresh, full bucket").to.equal(0);
      expect(buckets.waitMs("a", 4)).to.be.greaterThan(0);
      expect(buckets.waitMs("c", 4)).to.be.greaterThan(0);
    });

    it("setLimits: a lower maxKeys evicts at once; deleteWhere forgets matching keys", () => {
      const buckets = new TokenBuckets({ burst: 1, refillEveryMs: 60_000 }, 10);
      for (const key of ["user:a", "user:b", "client:x"]) buckets.take(key, 0);
      buckets.deleteWhere((key) => key.startsWith("user:"));
      expect(buckets.size).to.equal(1);
      expect(buckets.waitMs("user:a", 0)).to.equal(0);
      buckets.take("user:a", 1);
      buckets.setLimits({ burst: 1, refillEveryMs: 60_000 }, 1);
      expect(buckets.size).to.equal(1);
      expect(buckets.waitMs("client:x", 1), "the older one went").to.equal(0);
    });
  });

  describe("BoundedSet", () => {
    it("forgets the least recently added or confirmed members first", () => {
      const set = new BoundedSet(2);
      set.add("a");
      set.add("b");
      set.add("a"); // confirmed: now the newest
      set.add("c");
      expect([set.has("a"), set.has("b"), set.has("c")]).to.deep.equal([true, false, true]);
      expect(set.size).to.equal(2);
    });

    it("setMax trims at once; deleteWhere removes matching members", () => {
      const set = new BoundedSet(5);
      for (const key of ["a", "b", "c", "d"]) set.add(key);
      set.setMax(3);
      expect(set.has("a")).to.equal(false);
      set.deleteWhere((key) => key === "c");
      expect([set.has("b"), set.has("c"), set.has("d"), set.size]).to.deep.equal([true, false, true, 2]);
    });
  });
});
