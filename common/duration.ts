// Durations as people type them (grace periods, retention ages): "10s", "500ms", "2m",
// "1h", combinations like "1m30s", or a bare number of seconds ("5", "0.5").

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// "ms" before "m" so that "500ms" is not read as 500 minutes followed by "s".
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/y;
const BARE_SECONDS = /^(\d+(?:\.\d+)?|\.\d+)$/;

/** Milliseconds (rounded to a whole number); throws RangeError on anything else. */
export function parseDuration(text: string): number {
  const input = text.trim();
  let ms: number;
  if (BARE_SECONDS.test(input)) {
    ms = Number(input) * 1000;
  } else {
    ms = 0;
    PART.lastIndex = 0;
    let consumed = 0;
    for (let match = PART.exec(input); match; match = PART.exec(input)) {
      ms += Number(match[1]) * UNIT_MS[match[2]!]!;
      consumed = PART.lastIndex;
    }
    if (consumed === 0 || consumed !== input.length) {
      throw new RangeError(`invalid duration "${text}": use e.g. 10s, 500ms, 2m, 1m30s or a number of seconds`);
    }
  }
  const rounded = Math.round(ms);
  if (!Number.isSafeInteger(rounded)) throw new RangeError(`duration "${text}" is too long`);
  return rounded;
}

/** The shortest exact form: 10000 -> "10s", 90000 -> "1m30s", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 1000 !== 0) return `${ms}ms`;
  let seconds = ms / 1000;
  let text = "";
  for (const [unit, size] of [["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (seconds >= size) {
      text += `${Math.floor(seconds / size)}${unit}`;
      seconds %= size;
    }
  }
  return text;
}
