// The limits of the wire contract that both sides must agree on, defined once:
// the agent enforces them (agent/api/request-validation.ts), jobctl plans with
// them (its deadlines), and README's "Limits" table lists them.
export const REQUEST_LIMITS = Object.freeze({
  /** Largest gRPC message the agent accepts (grpc-js's default). */
  maxMessageBytes: 4 * 1024 * 1024,
  /** Command name: PATH_MAX. */
  maxCommandBytes: 4096,
  maxArguments: 1024,
  /** One argument: well under the kernel's MAX_ARG_STRLEN (128 KiB). */
  maxArgumentBytes: 32 * 1024,
  /** Command plus all arguments: well under ARG_MAX (2 MiB with the default stack limit). */
  maxTotalArgvBytes: 256 * 1024,
  /** Longest grace period a start or stop may ask for: one hour. */
  maxGracePeriodMs: 3600_000,
  /** One Apply's manifest text (one or more job specs); a manifest file is held to the same. */
  maxManifestBytes: 1024 * 1024,
});
