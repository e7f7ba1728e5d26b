import { defineConfig, type Options } from 'tsup';

/** One build recipe for every package: ESM and CJS with types, for Node 22+. */
export function packageBuild(entry: Record<string, string>, extra: Partial<Options> = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node22',
    platform: 'node',
    splitting: false,
    shims: true,
    ...extra,
  });
}
