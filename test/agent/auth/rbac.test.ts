// Role-based access control: the built-in roles (the seeds'), configured roles,
// and the refusals, each PERMISSION_DENIED saying why.
import { expect } from "chai";
import { ALL_OPERATIONS, authorize, BUILTIN_ROLES, type Operation, type Roles } from "../../../agent/auth/rbac.js";

/** The scope granted, or the refusal's code and message. */
function decide(roles: Roles, role: string | undefined, operation: Operation): string {
  try {
    return authorize(roles, { name: "carol", role }, operation);
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
}

describe("auth/rbac", () => {
  it("admin and full: every operation, on every job", () => {
    for (const role of ["admin", "full"]) {
      for (const operation of ALL_OPERATIONS) expect(decide(BUILTIN_ROLES, role, operation), `${role} ${operation}`).to.equal("all");
    }
  });

  it("user: every job operation on its own jobs, but never startAsRoot", () => {
    for (const operation of ALL_OPERATIONS.filter((o) => o !== "startAsRoot")) expect(decide(BUILTIN_ROLES, "user", operation)).to.equal("own");
    expect(decide(BUILTIN_ROLES, "user", "startAsRoot")).to.equal('PERMISSION_DENIED: role "user" may not startAsRoot jobs');
  });

  it("readonly: status, list, output and info on every job; never start or stop", () => {
    for (const operation of ["status", "list", "output", "info"] as const) expect(decide(BUILTIN_ROLES, "readonly", operation)).to.equal("all");
    expect(decide(BUILTIN_ROLES, "readonly", "start")).to.equal('PERMISSION_DENIED: role "readonly" may not start jobs');
    expect(decide(BUILTIN_ROLES, "readonly", "stop")).to.equal('PERMISSION_DENIED: role "readonly" may not stop jobs');
  });

  it("a certificate without a role, or with an unknown one, is refused naming the caller", () => {
    expect(decide(BUILTIN_ROLES, undefined, "status")).to.equal('PERMISSION_DENIED: certificate of "carol" carries no role (extension 1.2.840.10070.8.1)');
    expect(decide(BUILTIN_ROLES, "superuser", "status")).to.equal('PERMISSION_DENIED: unknown role "superuser" for "carol"');
  });

  it("a role named like an Object property is unknown, not inherited", () => {
    for (const role of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(decide(BUILTIN_ROLES, role, "status")).to.equal(`PERMISSION_DENIED: unknown role "${role}" for "carol"`);
    }
  });

  it("configured roles replace the built-in ones", () => {
    const roles: Roles = { operator: { operations: ["stop", "status", "list"], scope: "all" } };
    expect(decide(roles, "operator", "stop")).to.equal("all");
    expect(decide(roles, "operator", "start")).to.equal('PERMISSION_DENIED: role "operator" may not start jobs');
    expect(decide(roles, "admin", "status")).to.equal('PERMISSION_DENIED: unknown role "admin" for "carol"');
  });

  it("the built-in roles cannot be changed at run time", () => {
    expect(Object.isFrozen(BUILTIN_ROLES)).to.equal(true);
  });
});
