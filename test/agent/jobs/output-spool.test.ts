// OutputSpool against real files in a temporary directory. The test plays the
// job's monitor, the file's only writer: it appends to the file, then tells the
// spool (measure(), as the job runner does on inotify) and ends it (close(),
// with the byte counts from the monitor's exit file). The output cap is the
// monitor's (jobworker-monitor stops writing at it and counts the rest:
// monitor.test.ts, manager.test.ts); what the spool does at it is serve exactly
// the bytes kept and report the rest as dropped.
import { expect } from "chai";
import { appendFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OutputSpool, READ_CHUNK_BYTES } from "../../../agent/jobs/output-spool.js";
import { collect, tempDir } from "../../helpers/tmp.js";

/** Distinct bytes, so that a chunk read from the wrong offset shows. */
function pattern(length: number, from = 0): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (from + i) % 251));
}

describe("jobs/output-spool", () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    dir = tempDir();
    path = join(dir.path, "output");
  });
  afterEach(() => dir.cleanup());

  describe("a finished job's output", () => {
    it("is the whole file, closed, with the dropped count it was given", async () => {
      writeFileSync(path, "hello\n");
      const spool = await OutputSpool.finished(path, 7);
      expect(spool).to.include({ length: 6, dropped: 7, closed: true });
      expect((await collect(spool.read())).toString()).to.equal("hello\n");
      expect((await collect(spool.read({ follow: false }))).toString()).to.equal("hello\n");
    });

    it("is read from byte 0 in READ_CHUNK_BYTES chunks, the last one short", async () => {
      const data = pattern(2 * READ_CHUNK_BYTES + 1000);
      writeFileSync(path, data);
      const spool = await OutputSpool.finished(path);
      const chunks: Buffer[] = [];
      for await (const chunk of spool.read()) chunks.push(Buffer.from(chunk));
      expect(chunks.map((c) => c.length)).to.deep.equal([READ_CHUNK_BYTES, READ_CHUNK_BYTES, 1000]);
      expect(Buffer.concat(chunks).equals(data)).to.equal(true);
    });

    it("is read from an offset: inside the file, at its end (nothing), past it (nothing)", async () => {
      const data = pattern(READ_CHUNK_BYTES + 10);
      writeFileSync(path, data);
      const spool = await OutputSpool.finished(path);
      for (const offset of [1, 4096, READ_CHUNK_BYTES + 9]) {
        expect((await collect(spool.read({ offset }))).equals(data.subarray(offset)), `offset ${offset}`).to.equal(true);
      }
      expect((await collect(spool.read({ offset: data.length }))).length).to.equal(0);
      expect((await collect(spool.read({ offset: data.length + 100 }))).length).to.equal(0);
    });

    it("is empty (length 0) when the file is empty or missing; reading a missing file rejects with ENOENT", async () => {
      writeFileSync(path, "");
      expect((await collect((await OutputSpool.finished(path)).read())).length).to.equal(0);
      const missing = await OutputSpool.finished(join(dir.path, "never-written"));
      expect(missing).to.include({ length: 0, closed: true });
      const err = await collect(missing.read()).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      expect(err?.code).to.equal("ENOENT");
    });

    it("a file truncated on disk after it was measured: readers get what is left and end, without waiting or failing", async () => {
      writeFileSync(path, pattern(1000));
      const spool = await OutputSpool.finished(path);
      truncateSync(path, 300);
      expect(spool.length).to.equal(1000); // what was recorded
      expect((await collect(spool.read())).equals(pattern(300))).to.equal(true);
    });

    it("reads into the caller's buffers: each the size asked for, yielded as they are", async () => {
      writeFileSync(path, pattern(READ_CHUNK_BYTES + 5));
      const spool = await OutputSpool.finished(path);
      const given: Buffer[] = [];
      const yielded: Buffer[] = [];
      for await (const chunk of spool.read({ buffer: (bytes) => (given.push(Buffer.alloc(bytes)), given[given.length - 1]) })) yielded.push(chunk);
      expect(given.map((b) => b.length)).to.deep.equal([READ_CHUNK_BYTES, 5]);
      expect(yielded[0]).to.equal(given[0]);
      expect(yielded[1]).to.equal(given[1]);
      expect(Buffer.concat(yielded).equals(pattern(READ_CHUNK_BYTES + 5))).to.equal(true);
    });
  });

  describe("a running job's output (following the file as it grows)", () => {
    let spool: OutputSpool;
    beforeEach(() => {
      writeFileSync(path, ""); // the monitor creates it before the job runs
      spool = OutputSpool.following(path);
    });

    it("starts at length 0, open; measure() takes in what was appended and returns by how much it grew", async () => {
      expect(spool).to.include({ length: 0, dropped: 0, closed: false });
      expect(await spool.measure()).to.equal(0);
      appendFileSync(path, "one\n");
      expect(await spool.measure()).to.equal(4);
      appendFileSync(path, "two\nthree\n");
      expect(await spool.measure()).to.equal(10);
      expect(await spool.measure()).to.equal(0);
      expect(spool.length).to.equal(14);
    });

    it("a burst of measure() calls counts each byte once", async () => {
      appendFileSync(path, "abc");
      const first = spool.measure();
      appendFileSync(path, "defg");
      const grown = (await Promise.all([first, spool.measure(), spool.measure()])).reduce((a, b) => a + b, 0);
      expect(grown).to.equal(7);
      expect(spool.length).to.equal(7);
    });

    it("a follower waits at the end, gets each append once measured, and ends once the spool is closed", async () => {
      const reader = spool.read();
      const first = reader.next(); // nothing written yet: it waits
      appendFileSync(path, "one\n");
      await spool.measure();
      expect((await first).value?.toString()).to.equal("one\n");

      const second = reader.next();
      appendFileSync(path, "two\n");
      await spool.measure();
      expect((await second).value?.toString()).to.equal("two\n");

      const last = reader.next();
      appendFileSync(path, "three\n");
      expect(spool.close(14, 0)).to.equal(6); // the exit file's count; the last append was never measured
      expect((await last).value?.toString()).to.equal("three\n");
      expect(await reader.next()).to.deep.equal({ value: undefined, done: true });
    });

    it("bytes appended but not yet measured are not served", async () => {
      appendFileSync(path, "seen\n");
      await spool.measure();
      appendFileSync(path, "not yet\n");
      expect((await collect(spool.read({ follow: false }))).toString()).to.equal("seen\n");
    });

    it("a follower from an offset gets the output from there on, then what comes", async () => {
      appendFileSync(path, "0123456789");
      await spool.measure();
      const reader = spool.read({ offset: 4 });
      expect((await reader.next()).value?.toString()).to.equal("456789");
      const next = reader.next();
      appendFileSync(path, "abc");
      await spool.measure();
      expect((await next).value?.toString()).to.equal("abc");
      spool.close(13, 0);
      expect((await reader.next()).done).to.equal(true);
    });

    it("without follow, a read ends at the length known when it started, though the job runs on", async () => {
      appendFileSync(path, "before\n");
      await spool.measure();
      const reader = spool.read({ follow: false });
      expect((await reader.next()).value?.toString()).to.equal("before\n");
      appendFileSync(path, "after\n");
      await spool.measure();
      expect((await reader.next()).done).to.equal(true);
      expect(spool.closed).to.equal(false);
    });

    it("any number of followers each get all of it, whenever they joined", async () => {
      const early = collect(spool.read());
      appendFileSync(path, "first\n");
      await spool.measure();
      const late = collect(spool.read());
      appendFileSync(path, "second\n");
      await spool.measure();
      spool.close(13, 0);
      expect((await early).toString()).to.equal("first\nsecond\n");
      expect((await late).toString()).to.equal("first\nsecond\n");
      expect((await collect(spool.read())).toString()).to.equal("first\nsecond\n"); // and one after the end
    });

    it("a follower's signal ends its read while it waits, quietly", async () => {
      appendFileSync(path, "x");
      await spool.measure();
      const abort = new AbortController();
      const reader = spool.read({ signal: abort.signal });
      expect((await reader.next()).value?.toString()).to.equal("x");
      const waiting = reader.next();
      abort.abort();
      expect(await waiting).to.deep.equal({ value: undefined, done: true });
    });

    it("abandoned (this agent goes, the job runs on): followers get what is written, then the reason instead of waiting", async () => {
      appendFileSync(path, "written\n");
      await spool.measure();
      const reader = spool.read();
      const waiting = (async () => {
        expect((await reader.next()).value?.toString()).to.equal("written\n");
        return reader.next();
      })();
      spool.abandon(new Error("the agent is shutting down"));
      const err = await waiting.then(() => undefined, (e: Error) => e);
      expect(err?.message).to.equal("the agent is shutting down");
      const fresh = await collect(spool.read()).then(() => undefined, (e: Error) => e);
      expect(fresh?.message, "a reader that comes afterwards").to.equal("the agent is shutting down");
    });
  });

  describe("at the output cap (the monitor kept `cap` bytes and dropped the rest)", () => {
    const CAP = 1000;

    it("close() records the kept length and the dropped count; readers get exactly the kept bytes, also past what they measured", async () => {
      writeFileSync(path, "");
      const spool = OutputSpool.following(path);
      const reader = collect(spool.read());
      appendFileSync(path, pattern(600));
      await spool.measure();
      appendFileSync(path, pattern(CAP - 600, 600)); // up to the cap; nothing more is written
      expect(spool.close(CAP, 5000)).to.equal(CAP - 600);
      expect(spool).to.include({ length: CAP, dropped: 5000, closed: true });
      expect((await reader).equals(pattern(CAP))).to.equal(true);
    });

    it("once closed, neither measure() nor a second close() changes what is served", async () => {
      writeFileSync(path, pattern(CAP));
      const spool = OutputSpool.following(path);
      spool.close(CAP, 5000);
      appendFileSync(path, "more than the monitor said it kept");
      expect(await spool.measure()).to.equal(0);
      expect(spool.close(CAP + 34, 0)).to.equal(0);
      expect(spool).to.include({ length: CAP, dropped: 5000 });
      expect((await collect(spool.read())).equals(pattern(CAP))).to.equal(true);
    });

    it("a finished job's spool says the same after a restart: the file's length, the recorded dropped count", async () => {
      writeFileSync(path, pattern(CAP));
      const spool = await OutputSpool.finished(path, 5000);
      expect(spool).to.include({ length: CAP, dropped: 5000, closed: true });
      expect((await collect(spool.read({ offset: CAP - 10 }))).equals(pattern(10, CAP - 10))).to.equal(true);
    });
  });
});
