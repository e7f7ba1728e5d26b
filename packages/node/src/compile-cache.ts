import { enableCompileCache } from 'node:module';

/**
 * The register's first step: Node's on-disk compile cache (`module.enableCompileCache`, stable in
 * Node 22.12+/24), so that the next start of the service reuses V8's compiled code for every module
 * it loads — the SDK, the ~40 instrumentations, this package and the app's own — instead of
 * compiling them again. The cache lives where Node puts it (`NODE_COMPILE_CACHE`, else
 * `<os.tmpdir()>/node-compile-cache`), is keyed by file content and Node version, and Node falls
 * back to compiling when it cannot read or write it. `FAULTLINE_COMPILE_CACHE=false` (or Node's own
 * `NODE_DISABLE_COMPILE_CACHE=1`) leaves it off; any other value than true/false is reported by
 * the config resolver and the cache stays on (the default).
 */
export function enableStartupCache(env: Record<string, string | undefined> = process.env): boolean {
  if (env.FAULTLINE_COMPILE_CACHE?.trim().toLowerCase() === 'false') return false;
  if (env.NODE_DISABLE_COMPILE_CACHE !== undefined) return false;
  try {
    enableCompileCache?.();
    return true;
  } catch {
    // Telemetry never stops the app: without the cache, modules are compiled as usual.
    return false;
  }
}

enableStartupCache();
