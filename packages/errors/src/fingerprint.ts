import { createHash } from 'node:crypto';
import type { FaultlineError } from './error.js';

const cache = new WeakMap<FaultlineError, string>();
const IN_APP_FRAMES = 5;

/**
 * A stable identity for "the same error": code plus the top in-app frames, normalised (function
 * names and paths relative to the app, no line or column numbers, no message), so it is equal
 * across processes and deploys that did not touch that code path.
 */
export function fingerprint(err: FaultlineError): string {
  const hit = cache.get(err);
  if (hit) return hit;
  const frames = inAppFrames(err.stack ?? '');
  const value = createHash('sha256')
    .update(err.code)
    .update('\n')
    .update(frames.join('\n'))
    .digest('hex')
    .slice(0, 16);
  cache.set(err, value);
  return value;
}

const FRAME = /^\s*at (?:(?:async )?(.*?) \()?(.*?)(?::\d+)?(?::\d+)?\)?$/;

export function inAppFrames(stack: string): string[] {
  const out: string[] = [];
  for (const line of stack.split('\n', 64)) {
    if (!line.trimStart().startsWith('at ')) continue;
    const m = FRAME.exec(line);
    if (!m) continue;
    const file = m[2] ?? '';
    if (
      file.startsWith('node:') ||
      file.includes('/node_modules/') ||
      file === 'native' ||
      file === '<anonymous>'
    )
      continue;
    out.push(`${normaliseFunction(m[1] ?? '')}@${normalisePath(file)}`);
    if (out.length === IN_APP_FRAMES) break;
  }
  return out;
}

function normaliseFunction(name: string): string {
  // `Object.<anonymous>`, `new Foo`, `async bar`: keep the name, drop per-call noise.
  return name.replace(/^new /, '').replace(/ \[as [^\]]+\]$/, '') || '<anonymous>';
}

function normalisePath(file: string): string {
  let path = file.replace(/^file:\/\//, '').replace(/[?#].*$/, '');
  const cwd = process.cwd();
  if (path.startsWith(cwd)) path = path.slice(cwd.length + 1);
  // Content hashes of bundlers and versioned folders (releases/2024-01-01/) change per deploy.
  return path.replace(/[.-][0-9a-f]{8,}(?=\.)/g, '').replace(/\/releases\/[^/]+\//, '/');
}
