import { createHash } from 'node:crypto';
import type { FaultlineError } from './error.js';

const cache = new WeakMap<FaultlineError, string>();
const IN_APP_FRAMES = 5;
const MAX_SITES = 512;
const bySite = new Map<string, string>();
let cwd: string | undefined;

/**
 * A stable identity for "the same error": code plus the top in-app frames, normalised (function
 * names and paths relative to the app, no line or column numbers, no message), so it is equal
 * across processes and deploys that did not touch that code path.
 */
export function fingerprint(err: FaultlineError): string {
  const hit = cache.get(err);
  if (hit) return hit;
  const stack = err.stack ?? '';
  // Errors thrown from one code path share their frames: remember the fingerprint per (code, frames).
  const framesAt = stack.indexOf('\n    at ');
  const siteKey = framesAt < 0 ? undefined : `${err.code}${stack.slice(framesAt, framesAt + 2048)}`;
  const known = siteKey === undefined ? undefined : bySite.get(siteKey);
  if (known !== undefined) {
    cache.set(err, known);
    return known;
  }
  // sha1 as an identity hash (not for secrecy): native, and faster here than any JS hash.
  const value = createHash('sha1')
    .update(`${err.code}\n${inAppFrames(stack).join('\n')}`)
    .digest('hex')
    .slice(0, 16);
  cache.set(err, value);
  if (siteKey !== undefined) {
    if (bySite.size >= MAX_SITES) bySite.delete(bySite.keys().next().value as string);
    bySite.set(siteKey, value);
  }
  return value;
}

/** `    at fn (file:line:col)` or `    at file:line:col` into [function, file], without a regex. */
function parseFrame(line: string): [string, string] | undefined {
  const at = line.indexOf('at ');
  if (at < 0 || line.slice(0, at).trim() !== '') return undefined;
  let rest = line.slice(at + 3).trim();
  let fn = '';
  if (rest.endsWith(')')) {
    const open = rest.lastIndexOf(' (');
    if (open > 0) {
      fn = rest.slice(0, open).replace(/^async /, '');
      rest = rest.slice(open + 2, -1);
    }
  }
  // Drop :line:col, keeping a Windows drive letter's colon.
  for (let i = 0; i < 2; i++) {
    const colon = rest.lastIndexOf(':');
    if (colon > 1 && /^\d+$/.test(rest.slice(colon + 1))) rest = rest.slice(0, colon);
  }
  return [fn, rest];
}

export function inAppFrames(stack: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let n = 0; n < 64 && start < stack.length; n++) {
    let end = stack.indexOf('\n', start);
    if (end < 0) end = stack.length;
    const frame = parseFrame(stack.slice(start, end));
    start = end + 1;
    if (!frame) continue;
    const file = frame[1];
    if (
      file.startsWith('node:') ||
      file.includes('/node_modules/') ||
      file === 'native' ||
      file === '<anonymous>'
    )
      continue;
    out.push(`${normaliseFunction(frame[0])}@${normalisePath(file)}`);
    if (out.length === IN_APP_FRAMES) break;
  }
  return out;
}

function normaliseFunction(name: string): string {
  // `new Foo`, `Foo.bar [as baz]`: keep the name, drop per-call noise.
  return name.replace(/^new /, '').replace(/ \[as [^\]]+\]$/, '') || '<anonymous>';
}

function normalisePath(file: string): string {
  let path = file.replace(/^file:\/\//, '').replace(/[?#].*$/, '');
  cwd ??= process.cwd();
  if (path.startsWith(cwd)) path = path.slice(cwd.length + 1);
  // Content hashes of bundlers and versioned release folders change per deploy.
  return path.replace(/[.-][0-9a-f]{8,}(?=\.)/g, '').replace(/\/releases\/[^/]+\//, '/');
}
