// The shapes a config file is read into, shared by config-files.ts (kubeconfig
// style) and seed-config.ts (seed 000's flat file), which imports nothing
// else of config-files.ts: the two would otherwise import each other.

export type Mapping = Record<string, unknown>;

export interface NamedEntry {
  name: string;
  /** The entry's inner mapping (e.g. the `cluster:` of a clusters entry). */
  body: Mapping;
  /** Field path of that inner mapping, e.g. "clusters[0].cluster". */
  field: string;
  /** The config file that defines it. */
  file: string;
  /** Where each key of `body` is written in the file, when not at `${field}.${key}` (seed 000's flat config). */
  keyFields?: Record<string, string>;
}

/** Reports a problem at a field of the file being read; never returns. */
export type Fail = (field: string | undefined, problem: string) => never;
