import { readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { types } from 'node:util';

/**
 * The source-line header Node prints above a fatal error ("file:line", the line, a caret), for an
 * error we raise again after flushing.
 *
 * Node builds that header from V8's message for the throw that ends the process, and no public API
 * lets JavaScript hand it another location: re-raised from our code, the header would point at our
 * `throw`. So the re-raise carries Node's own opt-out marker on its line (`rethrow` below) and Node
 * prints no header; what we can reproduce exactly, we print ourselves just before:
 *  - an unhandled rejection: Node derives its header from the error's own stack (the first frame,
 *    one caret at its column), which we read the same way;
 *  - an uncaught exception: Node points at the `throw` statement, which no API exposes (the stack
 *    says where the error was created, often another line). No header is printed rather than a
 *    wrong one; the stack, message, exit code and stream are Node's own.
 */
export function rejectionHeader(error: unknown): string | undefined {
  try {
    // With source maps on, Node decorates the stack itself; a non-native error gets another format.
    if (process.sourceMapsEnabled || !types.isNativeError(error)) return undefined;
    const stack = error.stack;
    if (typeof stack !== 'string') return undefined;
    // V8 takes the first frame that has a script: builtins such as `new Promise (<anonymous>)` or
    // `Promise.all (index 0)` are skipped. Node's own sources (node:…) are not files we can read.
    let found: RegExpExecArray | null = null;
    for (const frame of stack.split('\n')) {
      if (!frame.startsWith('    at ')) continue;
      found =
        /\(([^()]+):(\d+):(\d+)\)$/.exec(frame) ?? /^ {4}at (?:async )?([^()]+):(\d+):(\d+)$/.exec(frame);
      if (found) break;
    }
    if (!found || !/^(?:file:\/\/)?\//.test(found[1]!)) return undefined;
    const [, location, lineText, columnText] = found as unknown as [string, string, string, string];
    const line = Number(lineText);
    const column = Number(columnText);
    const path = location.startsWith('file://') ? fileURLToPath(location) : location;
    const source = readFileSync(path, 'utf8').split(/\r?\n/)[line - 1];
    if (source === undefined) return undefined;
    // Node keeps tabs in the underline so the caret lines up with the source line.
    const pad = column - 1 <= source.length ? source.slice(0, column - 1).replace(/[^\t]/g, ' ') : undefined;
    return `${location}:${line}\n${source}\n${pad === undefined ? '' : `${pad}^\n`}\n`;
  } catch {
    return undefined;
  }
}

/** Writes the header (when there is one) straight to fd 2, before Node's own synchronous output. */
export function printRejectionHeader(error: unknown): void {
  const header = rejectionHeader(error);
  if (header === undefined) return;
  try {
    writeSync(2, header);
  } catch {
    // stderr closed: Node will not be able to print either.
  }
}

/**
 * Raises `error` again so that Node reports it as its own. The marker on the throw line is Node's
 * opt-out from the source-line header (src/node_errors.cc, GetErrorSource), which would otherwise
 * show this line. It is a call argument so that no build step can strip it.
 */
export function rethrow(error: unknown): never {
  throw same(error, 'node-do-not-add-exception-line');
}

function same(error: unknown, _marker: string): unknown {
  return error;
}
