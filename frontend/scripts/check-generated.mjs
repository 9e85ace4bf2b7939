#!/usr/bin/env node
// Fails when the generated files are out of date: openapi.json against the backend
// (`uv run socia openapi`), src/api/schema.d.ts against openapi.json (openapi-typescript).
// Fix with `npm run generate` and commit both files.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const backend = resolve(root, "../backend");
const work = mkdtempSync(join(tmpdir(), "socia-generated-"));
let stale = 0;

function compare(label, committed, fresh) {
  const a = readFileSync(committed, "utf8");
  const b = readFileSync(fresh, "utf8");
  if (a === b) {
    console.log(`${label}: up to date`);
  } else {
    console.error(`${label}: OUT OF DATE (run \`npm run generate\` in frontend/ and commit it)`);
    stale += 1;
  }
}

try {
  const spec = join(work, "openapi.json");
  execFileSync("uv", ["run", "socia", "openapi", "--output", spec], { cwd: backend, stdio: ["ignore", "ignore", "inherit"] });
  compare("frontend/openapi.json", join(root, "openapi.json"), spec);

  const types = join(work, "schema.d.ts");
  const bin = join(root, "node_modules", ".bin", "openapi-typescript");
  const log = execFileSync(bin, [join(root, "openapi.json"), "--output", types], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (/\bwarn(ing)?s?\b/i.test(log)) {
    console.error(`openapi-typescript warned:\n${log}`);
    stale += 1;
  }
  compare("frontend/src/api/schema.d.ts", join(root, "src/api/schema.d.ts"), types);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(stale ? 1 : 0);
