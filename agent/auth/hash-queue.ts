// A bounded queue for password hashing. scrypt runs on libuv's
// threadpool (4 threads by default), the pool the agent's file I/O uses too:
// four logins hashing at once queue every fs call behind ~60 ms derivations
// (measured: fs write+stat 1 ms idle, 1.8 s with 8 derivations in flight, and
// no slower with 1 or 2). So at most `maxConcurrent` derivations run at once,
// leaving the other threads to fs, and at most `maxQueued` wait; past that a
// login is refused at once, without hashing, instead of waiting without bound
// (each waiting derivation would also hold 32 MiB when it ran).
import { ResourceExhaustedError } from "../errors.js";

export interface HashQueueBounds {
  maxConcurrent: number;
  maxQueued: number;
}

/** The queue is full; the work was not run. */
export class HashQueueFullError extends ResourceExhaustedError {
  constructor() {
    super("too many logins in progress: retry in a second", { retryAfterMs: 1000 });
  }
}

export class HashQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private bounds: HashQueueBounds) {}

  /** Takes effect at once: a higher maxConcurrent starts waiting work; lower ones let running work finish. */
  setBounds(bounds: HashQueueBounds): void {
    this.bounds = bounds;
    this.pump();
  }

  get stats(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiting.length };
  }

  /** Runs `work` when a slot is free; throws HashQueueFullError at once if maxQueued are already waiting. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.bounds.maxConcurrent && this.waiting.length === 0) {
      this.running++;
    } else {
      if (this.waiting.length >= this.bounds.maxQueued) throw new HashQueueFullError();
      await new Promise<void>((resolve) => this.waiting.push(resolve)); // pump() counts it as running
    }
    try {
      return await work();
    } finally {
      this.running--;
      this.pump();
    }
  }

  private pump(): void {
    while (this.running < this.bounds.maxConcurrent && this.waiting.length > 0) {
      this.running++;
      this.waiting.shift()!();
    }
  }
}
