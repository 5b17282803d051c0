// The bounded queue for password hashing, with work the test finishes by hand.
import { expect } from "chai";
import { HashQueue, HashQueueClientShareError, HashQueueFullError } from "../../../agent/auth/hash-queue.js";

function deferred(): { promise: Promise<string>; resolve: (v: string) => void } {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("hash queue", () => {
  it("runs at most maxConcurrent at once, queues maxQueued, refuses the rest at once without running them", async () => {
    const queue = new HashQueue({ maxConcurrent: 2, maxQueued: 1, maxPerClient: 10 });
    const work = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const run = (i: number) => queue.run(`c${i}`, () => (started.push(i), work[i].promise));
    const results = [run(0), run(1), run(2)];
    await tick();
    expect(started).to.deep.equal([0, 1]);
    expect(queue.stats).to.deep.equal({ running: 2, queued: 1, clients: 3 });
    const refused = await run(3).then(() => undefined, (e: unknown) => e);
    expect(refused).to.be.instanceOf(HashQueueFullError);
    expect((refused as HashQueueFullError).code).to.equal("RESOURCE_EXHAUSTED");
    expect(started).to.deep.equal([0, 1]);
    work[1].resolve("b");
    expect(await results[1]).to.equal("b");
    await tick();
    expect(started).to.deep.equal([0, 1, 2]);
    work[0].resolve("a");
    work[2].resolve("c");
    expect(await Promise.all(results)).to.deep.equal(["a", "b", "c"]);
    expect(queue.stats).to.deep.equal({ running: 0, queued: 0, clients: 0 });
  });

  it("frees the slot when the work throws", async () => {
    const queue = new HashQueue({ maxConcurrent: 1, maxQueued: 0, maxPerClient: 1 });
    const err = await queue.run("c", () => Promise.reject(new Error("boom"))).catch((e: Error) => e.message);
    expect(err).to.equal("boom");
    expect(await queue.run("c", () => Promise.resolve("ok"))).to.equal("ok");
    expect(queue.stats.clients).to.equal(0);
  });

  it("keeps order and starts waiting work when the bounds are raised", async () => {
    const queue = new HashQueue({ maxConcurrent: 1, maxQueued: 5, maxPerClient: 5 });
    const first = deferred();
    const started: number[] = [];
    const results = [queue.run("c", () => first.promise), ...[1, 2, 3].map((i) => queue.run("c", async () => (started.push(i), String(i))))];
    await tick();
    expect(started).to.deep.equal([]);
    queue.setBounds({ maxConcurrent: 3, maxQueued: 5, maxPerClient: 5 });
    await tick();
    expect(started).to.deep.equal([1, 2, 3]);
    first.resolve("0");
    expect(await Promise.all(results)).to.deep.equal(["0", "1", "2", "3"]);
  });

  it("gives each client at most maxPerClient places, running and waiting: two flooding clients cannot keep a third out", async () => {
    // The defaults: 1 running + 32 waiting, 4 per client. Before the share, two clients
    // with 20 in flight each (a success costs no throttle token) held all 33 places.
    const queue = new HashQueue({ maxConcurrent: 1, maxQueued: 32, maxPerClient: 4 });
    const hold = deferred();
    const flood = (client: string) => Array.from({ length: 20 }, () => queue.run(client, () => hold.promise).then(() => "ok", (e: unknown) => e));
    const floods = [...flood("bob"), ...flood("viewer")];
    await tick();
    expect(queue.stats).to.deep.equal({ running: 1, queued: 7, clients: 2 });
    const third = queue.run("admin", async () => "admin in");
    hold.resolve("done");
    expect(await third).to.equal("admin in");
    const outcomes = await Promise.all(floods);
    expect(outcomes.filter((o) => o === "ok")).to.have.length(8);
    const refused = outcomes.filter((o) => o !== "ok");
    expect(refused).to.have.length(32);
    for (const err of refused) {
      expect(err).to.be.instanceOf(HashQueueClientShareError);
      expect((err as HashQueueClientShareError).code).to.equal("RESOURCE_EXHAUSTED");
      expect((err as HashQueueClientShareError).retryAfterMs).to.equal(1000);
    }
    expect((refused[0] as Error).message).to.equal('too many logins in progress from client certificate "bob": retry in a second');
    expect(queue.stats).to.deep.equal({ running: 0, queued: 0, clients: 0 });
    // The share is freed as work finishes: the same client gets its places again.
    expect(await queue.run("bob", async () => "again")).to.equal("again");
  });

  it("applies a new share at once to new work (SIGHUP); work already admitted finishes", async () => {
    const queue = new HashQueue({ maxConcurrent: 1, maxQueued: 10, maxPerClient: 3 });
    const hold = deferred();
    const admitted = [1, 2].map(() => queue.run("bob", () => hold.promise));
    queue.setBounds({ maxConcurrent: 1, maxQueued: 10, maxPerClient: 1 });
    expect(await queue.run("bob", () => hold.promise).catch((e: unknown) => e)).to.be.instanceOf(HashQueueClientShareError);
    hold.resolve("x");
    expect(await Promise.all(admitted)).to.deep.equal(["x", "x"]);
  });
});
