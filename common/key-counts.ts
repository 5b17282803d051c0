// How many of something each key holds (connections per address, logins per
// client, running jobs per owner): a key whose count falls to zero is dropped,
// so the map holds only keys that hold something and cannot grow without bound.
export class KeyCounts<K> {
  private readonly counts = new Map<K, number>();

  /** Keys holding at least one. */
  get size(): number {
    return this.counts.size;
  }

  get(key: K): number {
    return this.counts.get(key) ?? 0;
  }

  increment(key: K): void {
    this.counts.set(key, this.get(key) + 1);
  }

  /** One fewer for `key`; at zero the key goes. */
  decrement(key: K): void {
    const left = this.get(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }

  /** The keys and their counts, in insertion order. */
  entries(): IterableIterator<[K, number]> {
    return this.counts.entries();
  }
}
