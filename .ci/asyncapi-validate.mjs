// Validates an AsyncAPI document with the AsyncAPI Initiative's own parser (@asyncapi/parser):
// the specification's JSON Schema and its semantic rules. Errors fail; warnings are printed.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const path = process.argv[2];
const { document, diagnostics } = await new Parser().parse(readFileSync(path, "utf8"), { source: path });
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  const level = ["error", "warning", "info", "hint"][d.severity];
  console.log(`${level}: ${d.code}: ${d.message} at ${d.path.join(".")}`);
}
if (errors.length || !document) {
  console.log(`${path}: ${errors.length} error(s)`);
  process.exit(1);
}
console.log(`${path}: a valid AsyncAPI ${document.version()} document, ${document.channels().length} channels, ` +
  `${document.operations().length} operations, ${document.messages().length} messages`);
