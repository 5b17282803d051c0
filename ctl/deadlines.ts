// How long jobctl waits for the agent. Apart from client.ts, so that a verb
// can size a deadline without loading grpc-js (see commands/shared.ts).

/** Deadline for Start, QueryStatus and each page of List. */
export const UNARY_TIMEOUT_MS = 30_000;
/** Stop waits for the job to end, so its deadline is the grace period plus this. */
export const STOP_MARGIN_MS = 30_000;
