// -l/--selector for `get jobs`: kubectl's label-selector syntax over the
// job's status fields, applied by jobctl to what List returned. It narrows
// what the role already lets the caller see; it never widens it (a user
// asking for owner=bob gets nothing, as List shows users only their own).
import { InvalidArgumentError } from "commander";
import type { QueryStatusResponse__Output } from "../proto/generated/workerservice/QueryStatusResponse.js";

/** Selectable fields; status and reason compare case-insensitively (they are fixed words), owner and spec exactly. */
const FIELDS = {
  status: (job: QueryStatusResponse__Output) => job.JobStatus,
  owner: (job: QueryStatusResponse__Output) => job.owner,
  reason: (job: QueryStatusResponse__Output) => job.reason,
  /** The job spec a job is a run of ("" for a job from start). */
  spec: (job: QueryStatusResponse__Output) => job.specName,
} as const;
type Field = keyof typeof FIELDS;
const CASE_INSENSITIVE: ReadonlySet<Field> = new Set(["status", "reason"]);

export interface Requirement {
  field: Field;
  /** in: the value is one of `values`; notin: it is none of them (= and != are one-value forms). */
  op: "in" | "notin";
  values: string[];
}

const EQUALITY = /^\s*([a-z]+)\s*(==|=|!=)\s*([^\s,()=!]*)\s*$/;
const SET = /^\s*([a-z]+)\s+(in|notin)\s*\(([^()]*)\)\s*$/;

/** Parses `status=RUNNING,owner!=bob,reason in (Error,OOMKilled)`; commander reports a bad one as a usage error. */
export function parseSelector(text: string): Requirement[] {
  const requirements = splitTopLevel(text).map((part): Requirement => {
    const equality = EQUALITY.exec(part);
    const set = equality ? undefined : SET.exec(part);
    const match = equality ?? set;
    if (!match) throw new InvalidArgumentError(`"${part.trim()}" is not a requirement: use KEY=VALUE, KEY!=VALUE or KEY in (V1,V2)`);
    const field = match[1]!;
    if (!(field in FIELDS)) throw new InvalidArgumentError(`unknown key "${field}": use ${Object.keys(FIELDS).join(", ")}`);
    const values = set ? set[3]!.split(",").map((v) => v.trim()) : [match[3]!];
    const op = (equality && match[2] === "!=") || (set && match[2] === "notin") ? "notin" : "in";
    return { field: field as Field, op, values };
  });
  if (requirements.length === 0) throw new InvalidArgumentError("empty selector");
  return requirements;
}

/** Splits at commas outside parentheses ("a=b,c in (d,e)" -> ["a=b", "c in (d,e)"]). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((part) => part.trim() !== "");
}

/** True when the job meets every requirement. */
export function matchesSelector(job: QueryStatusResponse__Output, requirements: readonly Requirement[]): boolean {
  return requirements.every(({ field, op, values }) => {
    const fold = (v: string) => (CASE_INSENSITIVE.has(field) ? v.toLowerCase() : v);
    const found = values.map(fold).includes(fold(FIELDS[field](job)));
    return op === "in" ? found : !found;
  });
}
