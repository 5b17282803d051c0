// The layout program.ts describes: one file per verb in ctl/commands/, a
// folder for a verb with sub-verbs or several resources whose <folder>.ts
// registers it, and no verb file importing another verb's (what verbs share
// lives in commands/shared.ts or in ctl/).
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const COMMANDS = fileURLToPath(new URL("../../../ctl/commands/", import.meta.url));

/** Every .ts file below ctl/commands/, relative to it. */
function sourceFiles(dir = COMMANDS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [relative(COMMANDS, path)] : [];
  });
}

/** The files below ctl/commands/ that `file` imports (static, bare and dynamic), relative to it. */
function commandImports(file: string): string[] {
  const text = readFileSync(join(COMMANDS, file), "utf8");
  const specifiers = [...text.matchAll(/(?:from|import\(?)\s*"(\.[^"]+)\.js"/g)].map((match) => match[1]!);
  return specifiers
    .map((specifier) => relative(COMMANDS, resolve(COMMANDS, dirname(file), `${specifier}.ts`)))
    .filter((path) => !path.startsWith(".."));
}

/** A folder's own file, the one that registers its verb: config/config.ts. */
function isFolderVerb(file: string): boolean {
  const folder = dirname(file);
  return folder !== "." && file === join(folder, `${folder}.ts`);
}

describe("ctl/commands layout", () => {
  const files = sourceFiles();

  it("finds the verb files (the check below has something to check)", () => {
    expect(files).to.include.members(["shared.ts", "start.ts", "config/config.ts", "config/view.ts", "get/get.ts"]);
  });

  it("no verb file imports another verb's: only shared.ts, and a folder's own file its folder's files", () => {
    const wrong = files.flatMap((file) =>
      commandImports(file)
        .filter((imported) => imported !== "shared.ts" && !(isFolderVerb(file) && dirname(imported) === dirname(file)))
        .map((imported) => `${file} imports ${imported}`),
    );
    expect(wrong).to.deep.equal([]);
  });

  it("every folder has its own file, named after it", () => {
    const folders = [...new Set(files.map((file) => dirname(file)).filter((folder) => folder !== "."))];
    expect(folders.filter((folder) => !files.includes(join(folder, `${folder}.ts`)))).to.deep.equal([]);
  });
});
