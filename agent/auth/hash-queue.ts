// A bounded queue for password hashing. scrypt runs on libuv's
// threadpool (4 threads by default), the pool the agent's file I/O uses too:
// four logins hashing at once queue every fs call behind ~60 ms derivations
// (measured: fs write+stat 1 ms idle, 1.8 s with 8 derivations in flight, and
// no slower with 1 or 2). So at most `maxConcurrent` derivations run at once,
// leaving the other threads to fs, and at most `maxQueued` wait; past that a
// login is refused at once, without hashing, instead of waiting without bound
// (each waiting derivation would also hold 32 MiB when it ran).
//
// Each client (certificate identity) may hold at most `maxPerClient` of those
// places, running and waiting together: the queue is shared by every client,
// and without a share two clients that know any password (a success costs no
// throttle token) kept it full and everyone else's logins were refused. With
// the default share (4 of 1 + 32) it takes 9 certificates to fill the queue.
import { KeyCounts } from "../../common/key-counts.js";
import { ResourceExhaustedError } from "../errors.js";

export interface HashQueueBounds {
  maxConcurrent: number;
  maxQueued: number;
  /** Running and waiting work of one client at once; past that its work is refused at once. */
  maxPerClient: number;
}

/** The queue is full; the work was not run. */
export class HashQueueFullError extends ResourceExhaustedError {
  constructor() {
    super("too many logins in progress: retry in a second", { retryAfterMs: 1000 });
  }
}

/** This client already holds its share of the queue; the work was not run. */
export class HashQueueClientShareError extends ResourceExhaustedError {
  constructor(client: string) {
    super(`too many logins in progress from client certificate ${JSON.stringify(client)}: retry in a second`, { retryAfterMs: 1000 });
  }
}

export class HashQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Running plus waiting work by client; a client with none is not in the map. */
  private readonly perClient = new KeyCounts<string>();

  constructor(private bounds: HashQueueBounds) {}

  /** Takes effect at once: a higher maxConcurrent starts waiting work; lower ones (and a lower share) let admitted work finish. */
  setBounds(bounds: HashQueueBounds): void {
    this.bounds = bounds;
    this.pump();
  }

  get stats(): { running: number; queued: number; clients: number } {
    return { running: this.running, queued: this.waiting.length, clients: this.perClient.size };
  }

  /**
   * Runs `work` for `client` when a slot is free; throws at once, without running it,
   * HashQueueClientShareError if the client already has maxPerClient running or waiting,
   * or HashQueueFullError if maxQueued are already waiting.
   */
  async run<T>(client: string, work: () => Promise<T>): Promise<T> {
    if (this.perClient.get(client) >= this.bounds.maxPerClient) throw new HashQueueClientShareError(client);
    const now = this.running < this.bounds.maxConcurrent && this.waiting.length === 0;
    if (!now && this.waiting.length >= this.bounds.maxQueued) throw new HashQueueFullError();
    this.perClient.increment(client);
    try {
      if (now) this.running++;
      else await new Promise<void>((resolve) => this.waiting.push(resolve)); // pump() counts it as running
      return await work();
    } finally {
      this.perClient.decrement(client);
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
