/** A response body: a WHATWG stream (fetch) or a Node Readable (undici `request()`), or none. */
export type BodyLike =
  | ReadableStream<Uint8Array>
  | (AsyncIterable<Uint8Array | string> & { destroy?(): unknown })
  | null
  | undefined;

function isWebStream(body: BodyLike): body is ReadableStream<Uint8Array> {
  return typeof (body as ReadableStream | null)?.getReader === 'function';
}

/** Frees the connection a body holds without reading it. Never throws. */
export async function discardBody(body: BodyLike): Promise<void> {
  try {
    if (isWebStream(body)) {
      if (!body.locked) await body.cancel();
    } else {
      body?.destroy?.();
    }
  } catch {
    // Already errored or closed: nothing to free.
  }
}

/**
 * At most `max` bytes of a body: past that, reading stops, the body is cancelled and the answer is
 * undefined, so a 100 MB body never sits in memory. A body that fails mid-way is undefined too.
 */
export async function readBounded(body: BodyLike, max: number): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const add = (chunk: Uint8Array | string): boolean => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.byteLength;
    if (total > max) return false;
    chunks.push(bytes);
    return true;
  };
  try {
    if (isWebStream(body)) {
      if (body.locked) return undefined;
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!add(value)) {
          await reader.cancel().catch(() => {});
          return undefined;
        }
      }
    } else {
      for await (const chunk of body) {
        // Leaving the loop early destroys the Readable.
        if (!add(chunk)) return undefined;
      }
    }
  } catch {
    await discardBody(body);
    return undefined;
  }
  return Buffer.concat(chunks, total);
}
