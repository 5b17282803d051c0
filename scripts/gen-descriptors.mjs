// Writes proto/generated/descriptors.ts: each proto/*.proto as protobufjs JSON,
// read as @grpc/proto-loader's loadSync reads it (a fresh Root, loadSync,
// resolveAll), for proto/load.ts to hand to protoLoader.fromJSON instead of
// parsing .proto text at every start (see proto/load.ts for what that saves).
// The .proto files stay the source of truth: `npm run gen` (and so `npm run
// build`) runs this, proto/generated/ is not committed, and
// test/proto/descriptors.test.ts checks the result against the .proto files.
import { readdirSync, writeFileSync } from "node:fs";
import protobuf from "protobufjs";

const files = readdirSync("proto").filter((name) => name.endsWith(".proto")).sort();
const exports = files.map((file) => {
  const root = new protobuf.Root().loadSync(`proto/${file}`);
  root.resolveAll();
  const name = `${file.replace(/\.proto$/, "")}Descriptor`;
  // "as": protobufjs's typings make a method's `comment` required, which toJSON leaves out.
  return `/** proto/${file}, with what it imports. */\nexport const ${name} = ${JSON.stringify(root.toJSON(), null, 2)} as INamespace;\n`;
});

writeFileSync(
  "proto/generated/descriptors.ts",
  `// Generated from ${files.map((file) => `proto/${file}`).join(" and ")} by scripts/gen-descriptors.mjs (npm run gen). Do not edit.\n` +
    `import type { INamespace } from "protobufjs";\n\n${exports.join("\n")}`,
);
