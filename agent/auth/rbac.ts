// Role-based access control: which operations a role may call, and on whose jobs.
// The seeds' roles are the built-in defaults; the agent config may replace them.
import { PermissionDeniedError } from "../errors.js";
import type { Identity } from "./identity.js";

/** "startAsRoot": start a job with the agent's own (root) credentials, where the config allows it at all. */
export type Operation = "start" | "stop" | "status" | "list" | "output" | "info" | "startAsRoot";
export const ALL_OPERATIONS: readonly Operation[] = ["start", "stop", "status", "list", "output", "info", "startAsRoot"];
const JOB_OPERATIONS: readonly Operation[] = ["start", "stop", "status", "list", "output", "info"];

/** "own": only jobs the caller started (others' answer NOT_FOUND); "all": every job. */
export type Scope = "own" | "all";

export interface RoleRule {
  operations: readonly Operation[];
  scope: Scope;
}

export type Roles = Readonly<Record<string, RoleRule>>;

export const BUILTIN_ROLES: Roles = Object.freeze({
  // Seed 003's admin and seed 000's full access.
  admin: { operations: ALL_OPERATIONS, scope: "all" },
  full: { operations: ALL_OPERATIONS, scope: "all" },
  // Seed 003: everything, but only on jobs it started.
  user: { operations: JOB_OPERATIONS, scope: "own" },
  // Seed 000: query status and stream output, never start or stop.
  readonly: { operations: ["status", "list", "output", "info"], scope: "all" },
});

/** The scope the caller has for an operation; PERMISSION_DENIED if none. */
export function authorize(roles: Roles, caller: Identity, operation: Operation): Scope {
  if (caller.role === undefined) {
    throw new PermissionDeniedError(`certificate of "${caller.name}" carries no role (extension 1.2.840.10070.8.1)`);
  }
  const rule = Object.hasOwn(roles, caller.role) ? roles[caller.role] : undefined;
  if (!rule) throw new PermissionDeniedError(`unknown role "${caller.role}" for "${caller.name}"`);
  if (!rule.operations.includes(operation)) {
    throw new PermissionDeniedError(`role "${caller.role}" may not ${operation} jobs`);
  }
  return rule.scope;
}
