// Import rules, checked by `npm run lint:deps` (dependency-cruiser; npm test
// runs it before the suites). Imports point downward: a lower layer owns the
// types and interfaces it needs and never imports the layer above it.

// dependency-cruiser needs a TypeScript parser; typescript 7 has no compiler API
// it can use, so it is swc's. Without one it would skip every .ts file and find
// nothing wrong: fail here instead, loudly.
require("@swc/core");

/** agent/'s packages, lowest first; agent/errors.ts and common/ are below all of them. */
const AGENT_LAYERS = ["cgroups", "jobs", "auth", "config", "specs", "api", "metrics"];
// Above them all: the composition root, agent/*.ts (agent.ts, main.ts, sd-notify.ts).

/** A rule whose breach fails the check; `comment` is what the message says to do. */
function forbid(name, comment, from, to) {
  return { name, comment, severity: "error", from, to };
}

/** One rule per package: it may import itself and the packages below it, nothing else of agent/. */
const layerRules = AGENT_LAYERS.map((pkg, i) => {
  const allowed = AGENT_LAYERS.slice(0, i + 1);
  return forbid(
    `agent-${pkg}-imports-upward`,
    `agent/${pkg} may import only agent/errors.ts and agent/{${allowed.join(",")}} ` +
      `(layer order, lowest first: ${AGENT_LAYERS.join(", ")}, then the composition root agent/*.ts). ` +
      "Declare the type or interface it needs in the lower package instead, and let the upper one satisfy it.",
    { path: `^agent/${pkg}/` },
    { path: "^agent/", pathNot: `^agent/(errors\\.ts$|(${allowed.join("|")})/)` },
  );
});

module.exports = {
  forbidden: [
    forbid(
      "no-circular",
      "A file must not reach itself through its imports (type-only imports count): split out what both sides need.",
      { path: "^(agent|ctl|certs|common|proto)/" },
      { circular: true },
    ),
    ...layerRules,
    forbid("agent-errors-imports-agent", "agent/errors.ts is the bottom of agent/: it imports nothing of agent/.", { path: "^agent/errors\\.ts$" }, { path: "^agent/" }),
    forbid(
      "agent-package-without-a-layer",
      `Every package of agent/ must have its place in the layer order (${AGENT_LAYERS.join(", ")}): add it to AGENT_LAYERS in .dependency-cruiser.cjs.`,
      { path: "^agent/[^/]+/", pathNot: `^agent/(${AGENT_LAYERS.join("|")}|shim)/` },
      {},
    ),
    forbid(
      "agent-package-imports-certs",
      "certs/ is the PKI tool; only the composition root (agent/agent.ts, for the development PKI) may use it. Shared code goes to common/.",
      { path: "^agent/[^/]+/" },
      { path: "^certs/" },
    ),
    forbid(
      "wire-outside-agent-api",
      "Of agent/'s packages only agent/api speaks gRPC and knows the wire types (proto/); the others are usable without it.",
      { path: "^agent/[^/]+/", pathNot: "^agent/api/" },
      { path: "^proto/|(^|/)node_modules/@grpc/" },
    ),
    forbid("agent-imports-ctl", "The agent never depends on jobctl; shared code goes to common/.", { path: "^agent/" }, { path: "^ctl/" }),
    forbid("ctl-imports-agent", "jobctl talks to the agent only over the wire (proto/); shared code goes to common/.", { path: "^ctl/" }, { path: "^agent/" }),
    forbid("ctl-imports-certs", "jobctl does not depend on the PKI tool; what both use lives in common/ (e.g. common/files.ts).", { path: "^ctl/" }, { path: "^certs/" }),
    forbid("certs-imports-agent-or-ctl", "The PKI tool stands alone; shared code goes to common/.", { path: "^certs/" }, { path: "^(agent|ctl)/" }),
    forbid(
      "common-imports-ours",
      "common/ is the bottom: it imports nothing of ours outside common/.",
      { path: "^common/" },
      { dependencyTypes: ["local"], pathNot: "^common/" },
    ),
    forbid(
      "proto-imports-ours",
      "proto/ is the wire contract: it imports nothing of ours outside proto/.",
      { path: "^proto/" },
      { dependencyTypes: ["local"], pathNot: "^proto/" },
    ),
    forbid("production-imports-tests", "Shipped code never imports test/ or bench/.", { path: "^(agent|ctl|certs|common|proto)/" }, { path: "^(test|bench)/" }),
    forbid(
      "not-to-unresolvable",
      "Every import must resolve, or the rules above would not see where it points.",
      {},
      // proto/generated/ is made by `npm run gen`: before it, an import of it is only its
      // specifier (../../proto/generated/... from agent/api, ./generated/... from proto/).
      { couldNotResolve: true, pathNot: "(^|/)proto/generated/|^\\./generated/" },
    ),
  ],
  options: {
    // swc parses the TypeScript (see the require above), type-only imports
    // included: they count, a type is a dependency too.
    parser: "swc",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // proto/generated/ (made by `npm run gen`) is not cruised itself, but imports of it are
    // seen, so that the wire types used outside agent/api are refused like proto/load.ts.
    // (`exclude` would drop those imports too, and with them the violation.)
    doNotFollow: { path: "node_modules|(^|/)proto/generated/" },
  },
};
