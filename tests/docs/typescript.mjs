// The TypeScript samples: `check FILE…` type-checks (strict) against the pocketbase
// SDK's own .d.ts; `transpile` turns the TypeScript on stdin into JavaScript on stdout.
import { readFileSync } from "node:fs";
import ts from "typescript";

const options = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  types: [],
};

const [mode, ...files] = process.argv.slice(2);
if (mode === "transpile") {
  const source = readFileSync(0, "utf8");
  const out = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  process.stdout.write(out.outputText);
} else if (mode === "check") {
  const program = ts.createProgram(files, options);
  const problems = ts.getPreEmitDiagnostics(program);
  for (const d of problems) {
    const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
    console.log(`${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  }
  process.exit(problems.length ? 1 : 0);
} else {
  console.error("usage: typescript.mjs check FILE… | transpile < file.ts");
  process.exit(2);
}
