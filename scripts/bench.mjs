// `pnpm bench`: runs every packages/*/bench/*.bench.{mjs,ts} in its own Node process, one after the
// other (never in parallel: they would measure each other), against the built packages.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'bench');
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) {
    if (/\.bench\.(mjs|ts)$/.test(f) && (only.length === 0 || only.some((o) => f.includes(o) || pkg === o))) {
      files.push(join(dir, f));
    }
  }
}
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file.slice(root.length)}`);
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
if (failed) {
  console.error(`${failed} benchmark file(s) crashed`);
  process.exit(1);
}
