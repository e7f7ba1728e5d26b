// Checks every publishable package's exports map and types as a consumer sees them:
// publint (package.json correctness) and are-the-types-wrong (types for ESM and CJS resolution).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
let failures = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkgDir = join(root, 'packages', dir);
  const manifest = join(pkgDir, 'package.json');
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  if (pkg.private) continue;
  if (!existsSync(join(pkgDir, 'dist'))) {
    console.error(`${pkg.name}: no dist/ (run pnpm build first)`);
    failures++;
    continue;
  }
  for (const [tool, args] of [
    ['publint', ['--strict']],
    // node16 profile: Node's CJS and ESM resolution, what our users run.
    ['attw', ['--pack', '.', '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    const r = spawnSync(bin(tool), args, { cwd: pkgDir, encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`.trim();
    if (r.status !== 0) {
      failures++;
      console.error(`FAIL ${tool} ${pkg.name}\n${out}`);
    } else {
      console.log(`ok   ${tool} ${pkg.name}`);
    }
  }
}
if (failures) {
  console.error(`${failures} package check(s) failed`);
  process.exit(1);
}
