// The bounded queue for password hashing, with work the test finishes by hand.
import { expect } from "chai";
import { HashQueue, HashQueueFullError } from "../../agent/auth/hash-queue.js";

function deferred(): { promise: Promise<string>; resolve: (v: string) => void } {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("hash queue", () => {
  it("runs at most maxConcurrent at once, queues maxQueued, refuses the rest at once without running them", async () => {
    const queue = new HashQueue({ maxConcurrent: 2, maxQueued: 1 });
    const work = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const run = (i: number) => queue.run(() => (started.push(i), work[i].promise));
    const results = [run(0), run(1), run(2)];
    await tick();
    expect(started).to.deep.equal([0, 1]);
    expect(queue.stats).to.deep.equal({ running: 2, queued: 1 });
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
    expect(queue.stats).to.deep.equal({ running: 0, queued: 0 });
  });

  it("frees the slot when the work throws", async () => {
    const queue = new HashQueue({ maxConcurrent: 1, maxQueued: 0 });
    const err = await queue.run(() => Promise.reject(new Error("boom"))).catch((e: Error) => e.message);
    expect(err).to.equal("boom");
    expect(await queue.run(() => Promise.resolve("ok"))).to.equal("ok");
  });

  it("keeps order and starts waiting work when the bounds are raised", async () => {
    const queue = new HashQueue({ maxConcurrent: 1, maxQueued: 5 });
    const first = deferred();
    const started: number[] = [];
    const results = [queue.run(() => first.promise), ...[1, 2, 3].map((i) => queue.run(async () => (started.push(i), String(i))))];
    await tick();
    expect(started).to.deep.equal([]);
    queue.setBounds({ maxConcurrent: 3, maxQueued: 5 });
    await tick();
    expect(started).to.deep.equal([1, 2, 3]);
    first.resolve("0");
    expect(await Promise.all(results)).to.deep.equal(["0", "1", "2", "3"]);
  });
});
