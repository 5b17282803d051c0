// A log line per kind of event at most every interval, carrying how many of
// that kind happened since the last line: a flood of refused connections is
// counted in full by the metrics, and must not flood the log too.
export type LogMethod = (fields: object, msg: string) => void;

export class ThrottledLog {
  private readonly last = new Map<string, { at: number; since: number }>();

  constructor(
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Logs through `log` unless a line of this kind was logged less than the interval ago. */
  note(kind: string, log: LogMethod, fields: object, msg: string): void {
    const entry = this.last.get(kind);
    const now = this.now();
    if (entry && now - entry.at < this.intervalMs) {
      entry.since += 1;
      return;
    }
    log({ ...fields, kind, count: (entry?.since ?? 0) + 1 }, msg);
    this.last.set(kind, { at: now, since: 0 });
  }
}
