// Token buckets by key, in a map of bounded size: each bucket holds at most
// `burst` tokens and regains one every `refillEveryMs`. A full bucket carries
// no information, so it is dropped; when the map is full the least recently
// touched bucket goes, which is also the one that has refilled the longest.
// refillEveryMs 0 means no limit.
// Time comes from the caller (tests use a fake clock).

export interface Rate {
  burst: number;
  refillEveryMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private rate: Rate,
    private maxKeys: number,
  ) {}

  setLimits(rate: Rate, maxKeys: number): void {
    this.rate = rate;
    this.maxKeys = maxKeys;
    this.evict();
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Milliseconds until `key` has a whole token (0: it has one now). */
  waitMs(key: string, now: number): number {
    const tokens = this.level(key, now);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * this.rate.refillEveryMs);
  }

  /** Takes one token (the caller has checked waitMs). */
  take(key: string, now: number): void {
    this.store(key, this.level(key, now) - 1, now);
  }

  /** Gives one token back (an attempt that turned out not to count). */
  give(key: string, now: number): void {
    this.store(key, this.level(key, now) + 1, now);
  }

  /** Forgets the buckets whose key matches (they are full again). */
  deleteWhere(matches: (key: string) => boolean): void {
    for (const key of [...this.buckets.keys()]) if (matches(key)) this.buckets.delete(key);
  }

  private level(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket || this.rate.refillEveryMs <= 0) return this.rate.burst; // refilling at once: no limit
    // A clock that goes backwards refills nothing rather than draining.
    const regained = Math.max(0, now - bucket.at) / this.rate.refillEveryMs;
    return Math.min(this.rate.burst, bucket.tokens + regained);
  }

  private store(key: string, tokens: number, now: number): void {
    this.buckets.delete(key); // re-inserted last: the map's order is least recently touched first
    if (tokens >= this.rate.burst) return;
    this.buckets.set(key, { tokens, at: now });
    this.evict();
  }

  private evict(): void {
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/** A set of bounded size that forgets its least recently added or confirmed members first. */
export class BoundedSet {
  private readonly members = new Set<string>();

  constructor(private max: number) {}

  setMax(max: number): void {
    this.max = max;
    this.trim();
  }

  has(key: string): boolean {
    return this.members.has(key);
  }

  add(key: string): void {
    this.members.delete(key);
    this.members.add(key);
    this.trim();
  }

  get size(): number {
    return this.members.size;
  }

  deleteWhere(matches: (key: string) => boolean): void {
    for (const key of [...this.members]) if (matches(key)) this.members.delete(key);
  }

  private trim(): void {
    for (const key of this.members) {
      if (this.members.size <= this.max) break;
      this.members.delete(key);
    }
  }
}
