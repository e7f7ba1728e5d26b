import { hash } from 'node:crypto';
import { type FaultlineError, memoOf } from './error.js';

const IN_APP_FRAMES = 5;
const MAX_SITES = 512;
/** Longer frame texts are fingerprinted without being remembered (bounded memory). */
const MAX_SITE_FRAMES = 8_192;
let cwd: string | undefined;

interface Site {
  /** The stack from its first frame on, a flat copy: no reference to the header (raw message). */
  frames: string;
  /** Fingerprint by error code (a site throws a handful of codes; bounded). */
  values: Map<string, string>;
}

const MAX_CODES_PER_SITE = 16;

// Errors thrown from one code path share their frames text exactly, line and column included.
// Sites are found by the length of that text and confirmed by comparing it: a length is a
// number key (no hashing of a long string per lookup) and the comparison is a memcmp. Lengths
// shared by several sites (one helper throwing for many callers) hold a map by frames text: one
// hash and one comparison, not a comparison per site.
const sitesByLength = new Map<number, Site | Map<string, Site>>();
/** The remembered sites, oldest first from `oldest` (a ring: no shifting of the array). */
const siteOrder: Site[] = [];
let oldest = 0;

/**
 * A stable identity for "the same error": code plus the top in-app frames, normalised (function
 * names and paths relative to the app, no line or column numbers, no message), so it is equal
 * across processes and deploys that did not touch that code path.
 */
export function fingerprint(err: FaultlineError): string {
  const memo = memoOf(err);
  if (memo.fingerprint !== undefined) return memo.fingerprint;
  const value = siteFingerprint(err.code, err.stack ?? '');
  memo.fingerprint = value;
  return value;
}

function findSite(length: number, frames: string): Site | undefined {
  const entry = sitesByLength.get(length);
  if (entry === undefined) return undefined;
  if (entry instanceof Map) return entry.get(frames);
  // === compares flat contents (several times cheaper than endsWith).
  return entry.frames === frames ? entry : undefined;
}

function siteFingerprint(code: string, stack: string): string {
  const framesAt = stack.indexOf('\n    at ');
  const length = stack.length - framesAt;
  const cacheable = framesAt >= 0 && length <= MAX_SITE_FRAMES;
  // A slice is O(1); it is copied flat only when remembered.
  const frames = cacheable ? stack.slice(framesAt) : '';
  const site = cacheable ? findSite(length, frames) : undefined;
  const known = site?.values.get(code);
  if (known !== undefined) return known;
  // sha1 as an identity hash (not for secrecy): native, and faster here than any JS hash.
  const value = hash('sha1', `${code}\n${inAppFrames(stack).join('\n')}`, 'hex').slice(0, 16);
  if (site !== undefined) {
    if (site.values.size < MAX_CODES_PER_SITE) site.values.set(code, value);
  } else if (cacheable) {
    const values = new Map<string, string>();
    values.set(code, value);
    remember({ frames: flatCopy(frames), values }, length);
  }
  return value;
}

function remember(site: Site, length: number): void {
  if (siteOrder.length < MAX_SITES) siteOrder.push(site);
  else {
    forget(siteOrder[oldest] as Site);
    siteOrder[oldest] = site;
    oldest = (oldest + 1) % MAX_SITES;
  }
  const entry = sitesByLength.get(length);
  if (entry === undefined) sitesByLength.set(length, site);
  else if (entry instanceof Map) entry.set(site.frames, site);
  else {
    const byFrames = new Map<string, Site>();
    byFrames.set(entry.frames, entry);
    byFrames.set(site.frames, site);
    sitesByLength.set(length, byFrames);
  }
}

function forget(old: Site): void {
  const length = old.frames.length;
  const entry = sitesByLength.get(length);
  if (entry === old) sitesByLength.delete(length);
  else if (entry instanceof Map) {
    entry.delete(old.frames);
    if (entry.size === 0) sitesByLength.delete(length);
  }
}

/**
 * A slice would keep the whole stack string alive, header and raw message with it. A one-character
 * prefix makes a cons string that V8 flattens into a new string when it is sliced: the copy keeps
 * only that new string (the frames), at the cost of one memcpy.
 */
function flatCopy(text: string): string {
  return ` ${text}`.slice(1);
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

// What each frame line stands for in a fingerprint (or null: not an in-app frame), by line text:
// the frames under a site (router, framework, shared helpers) repeat across sites, and parsing
// and normalising a line costs far more than looking it up. Only lines of the frames part are
// kept (never a header line, which holds the message), copied flat; bounded (cleared when full).
const frameMemo = new Map<string, string | null>();
const MAX_FRAME_MEMO = 1_024;

export function inAppFrames(stack: string): string[] {
  const out: string[] = [];
  const framesAt = stack.indexOf('\n    at ');
  let start = 0;
  for (let n = 0; n < 64 && start < stack.length; n++) {
    let end = stack.indexOf('\n', start);
    if (end < 0) end = stack.length;
    const line = stack.slice(start, end);
    const memoised = framesAt >= 0 && start > framesAt;
    start = end + 1;
    let normal = memoised ? frameMemo.get(line) : undefined;
    if (normal === undefined) {
      normal = normalFrame(line);
      if (memoised) {
        if (frameMemo.size >= MAX_FRAME_MEMO) frameMemo.clear();
        frameMemo.set(flatCopy(line), normal);
      }
    }
    if (normal === null) continue;
    out.push(normal);
    if (out.length === IN_APP_FRAMES) break;
  }
  return out;
}

/** `function@path` of an in-app frame line, normalised; null for anything else. */
function normalFrame(line: string): string | null {
  const frame = parseFrame(line);
  if (!frame) return null;
  const file = frame[1];
  if (
    file.startsWith('node:') ||
    file.includes('/node_modules/') ||
    file === 'native' ||
    file === '<anonymous>'
  )
    return null;
  return `${normaliseFunction(frame[0])}@${normalisePath(file)}`;
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
