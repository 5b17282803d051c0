// Job spec documents (config/job-spec.schema.json): YAML, one or more per
// file or request ("---" between them), checked as strictly as the
// AgentConfig: unknown keys are errors, and every problem is reported at once
// with its line, path, value and what was expected.
import type { ValidateFunction } from "ajv";
import { fileURLToPath } from "node:url";
import { isScalar, LineCounter, parseAllDocuments, stringify, type Document } from "yaml";
import { formatDuration, parseDuration } from "../../common/duration.js";
import { limitsDocument, limitsFromDocument, type LimitsDocument } from "../config/document.js";
import { ConfigFileError, SCHEMA_PATH as AGENT_SCHEMA_PATH } from "../config/load.js";
import { compileSchema, lineOf, schemaProblems, yamlProblems } from "../config/yaml-schema.js";
import { DEFAULT_BACKOFF, MIN_BACKOFF_MAX_MS, MIN_BACKOFF_MS, type JobSpec, type RestartPolicy } from "./spec.js";

export const JOB_SPEC_SCHEMA_PATH = fileURLToPath(new URL("../../../config/job-spec.schema.json", import.meta.url));

/** Documents per file or Apply: a bound on what one request can make the agent parse and hold. */
export const MAX_DOCUMENTS = 100;

export interface JobDocument {
  apiVersion: "jobworker/v1";
  kind: "Job";
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    command: string;
    args?: string[];
    limits?: LimitsDocument;
    gracePeriod?: string;
    restartPolicy?: RestartPolicy;
    backoff?: { initial?: string; max?: string; resetAfter?: string };
    restartPreventExitCodes?: number[];
  };
}

let validator: ValidateFunction | undefined;

/**
 * The compiled schema (it takes in the AgentConfig's, for limits and
 * durations). Compiling it took 150-600 ms on the 2-core dev machine: a
 * watched directory compiles it when it starts (compileManifestSchema), not
 * when its first file arrives.
 */
function validate(): ValidateFunction {
  validator ??= compileSchema(JOB_SPEC_SCHEMA_PATH, AGENT_SCHEMA_PATH);
  return validator;
}

export function compileManifestSchema(): void {
  validate();
}

/** Every spec in text (named source in errors); ConfigFileError with all problems if any document has one. */
export function parseManifests(source: string, text: string): JobSpec[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  if (!Array.isArray(docs)) throw new ConfigFileError(source, ["not a YAML stream"]); // an EmptyStream
  const problems: string[] = [];
  const specs: JobSpec[] = [];
  const names = new Map<string, number>();
  const present = docs.filter((doc) => doc.errors.length > 0 || !isEmpty(doc)); // "---" with nothing after it
  if (present.length > MAX_DOCUMENTS) throw new ConfigFileError(source, [`${present.length} documents: at most ${MAX_DOCUMENTS} per file or request`]);
  for (const doc of present) {
    const found = checkDocument(doc, lines);
    problems.push(...found.problems);
    if (!found.spec) continue;
    const line = lineOf(doc, lines, "/metadata/name");
    const earlier = names.get(found.spec.name);
    if (earlier !== undefined) problems.push(`line ${line}: /metadata/name: "${found.spec.name}" is already defined at line ${earlier}`);
    else names.set(found.spec.name, line ?? 0);
    specs.push(found.spec);
  }
  if (problems.length > 0) throw new ConfigFileError(source, problems);
  return specs;
}

function isEmpty(doc: Document): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
}

function checkDocument(doc: Document, lines: LineCounter): { spec?: JobSpec; problems: string[] } {
  if (doc.errors.length > 0) return { problems: yamlProblems(doc, lines) };
  let value: unknown;
  try {
    value = doc.toJS(); // the yaml library refuses an alias bomb here ("Excessive alias count")
  } catch (err) {
    return { problems: [`YAML: ${(err as Error).message}`] };
  }
  const problems = schemaProblems(validate(), value, doc, lines);
  if (problems.length > 0) return { problems };
  const document = value as JobDocument;
  const tooShort = backoffProblems(document, doc, lines);
  return tooShort.length > 0 ? { problems: tooShort } : { spec: specOf(document), problems: [] };
}

function backoffProblems(document: JobDocument, doc: Document, lines: LineCounter): string[] {
  return Object.entries(document.spec.backoff ?? {})
    .map(([key, text]) => ({ key, text, min: key === "max" ? MIN_BACKOFF_MAX_MS : MIN_BACKOFF_MS }))
    .filter(({ text, min }) => parseDuration(text) < min)
    .map(({ key, text, min }) => `line ${lineOf(doc, lines, `/spec/backoff/${key}`)}: /spec/backoff/${key}: got ${JSON.stringify(text)}, expected at least ${formatDuration(min)}`);
}

function specOf(d: JobDocument): JobSpec {
  const backoff = d.spec.backoff ?? {};
  return {
    name: d.metadata.name,
    labels: { ...d.metadata.labels },
    command: d.spec.command,
    args: d.spec.args ?? [],
    limits: limitsFromDocument(d.spec.limits ?? {}),
    ...(d.spec.gracePeriod !== undefined && { gracePeriodMs: parseDuration(d.spec.gracePeriod) }),
    restartPolicy: d.spec.restartPolicy ?? "Always",
    backoff: {
      initialMs: backoff.initial ? parseDuration(backoff.initial) : DEFAULT_BACKOFF.initialMs,
      maxMs: backoff.max ? parseDuration(backoff.max) : DEFAULT_BACKOFF.maxMs,
      resetAfterMs: backoff.resetAfter ? parseDuration(backoff.resetAfter) : DEFAULT_BACKOFF.resetAfterMs,
    },
    restartPreventExitCodes: d.spec.restartPreventExitCodes ?? [],
  };
}

/** Whether the text's first document says kind: Job (jobagent --validate then checks it as job specs, not as an AgentConfig). */
export function isJobManifest(text: string): boolean {
  const [first] = parseAllDocuments(text);
  const kind: unknown = first && !Array.isArray(first) && "get" in first ? first.get("kind") : undefined;
  return kind === "Job";
}

/** The spec as a document with every default written out: what `jobctl get specs -o yaml` shows. */
export function documentOf(spec: JobSpec): JobDocument {
  const limits = Object.fromEntries(Object.entries(limitsDocument(spec.limits)).filter(([, v]) => v !== 0 && v !== "0")) as LimitsDocument;
  return {
    apiVersion: "jobworker/v1",
    kind: "Job",
    metadata: { name: spec.name, ...(Object.keys(spec.labels).length > 0 && { labels: spec.labels }) },
    spec: {
      command: spec.command,
      args: spec.args,
      ...(Object.keys(limits).length > 0 && { limits }),
      ...(spec.gracePeriodMs !== undefined && { gracePeriod: formatDuration(spec.gracePeriodMs) }),
      restartPolicy: spec.restartPolicy,
      backoff: { initial: formatDuration(spec.backoff.initialMs), max: formatDuration(spec.backoff.maxMs), resetAfter: formatDuration(spec.backoff.resetAfterMs) },
      ...(spec.restartPreventExitCodes.length > 0 && { restartPreventExitCodes: spec.restartPreventExitCodes }),
    },
  };
}

/** documentOf as YAML text. */
export function manifestText(spec: JobSpec): string {
  return stringify(documentOf(spec));
}
