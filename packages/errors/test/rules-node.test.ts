// Node's own errors, provoked for real: system errors from sockets and files, ERR_* codes of
// node: modules, AbortSignal's DOMExceptions, TLS refusals, and request bodies that do not parse
// in real express and fastify apps (input) against a bare JSON.parse (a bug).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, pipeline, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import express from 'express';
import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { closedPort } from './support/loopback.js';
import { caught, classify } from './support/rules.js';

function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

describe('system errors', () => {
  it('ECONNREFUSED is connection_failed (retryable) with the errno name as detail', async () => {
    const port = await closedPort();
    const err = await new Promise<unknown>((resolve) => connect(port, '127.0.0.1').on('error', resolve));
    expect(classify(err)).toMatchObject({
      code: 'connection_failed',
      category: 'network',
      retryable: true,
      details: { 'error.library_code': 'ECONNREFUSED' },
    });
  });

  it('a peer resetting mid-request is connection_reset', async () => {
    const server = createServer((req) => req.socket.destroy());
    const port = await listen(server);
    const err = await new Promise<unknown>((resolve) =>
      get(`http://127.0.0.1:${port}/`).on('error', resolve),
    );
    server.close();
    expect((err as { code?: string }).code).toBe('ECONNRESET');
    expect(classify(err).code).toBe('connection_reset');
  });

  it('EADDRINUSE (the port is taken) is configuration_error', async () => {
    const first = createNetServer();
    const port = await listen(first);
    const second = createNetServer();
    const err = await new Promise<unknown>((resolve) => {
      second.on('error', resolve);
      second.listen(port, '127.0.0.1');
    });
    first.close();
    expect(classify(err)).toMatchObject({ code: 'configuration_error', category: 'configuration' });
  });

  it('ENOENT (a missing local file) is configuration_error, EISDIR too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-rules-'));
    try {
      const missing = await readFile(join(dir, 'absent.json')).catch((e: unknown) => e);
      expect(classify(missing)).toMatchObject({
        code: 'configuration_error',
        details: { 'error.library_code': 'ENOENT' },
      });
      expect(classify(caught(() => readFileSync(dir))).code).toBe('configuration_error');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ERR_* codes of node: modules', () => {
  it('stream premature close is connection_reset', async () => {
    const source = new Readable({ read() {} });
    const err = await new Promise<unknown>((resolve) => {
      pipeline(source, new PassThrough(), (e) => resolve(e));
      source.destroy();
    });
    expect((err as { code?: string }).code).toBe('ERR_STREAM_PREMATURE_CLOSE');
    expect(classify(err).code).toBe('connection_reset');
  });

  it('invalid arguments and out-of-range values are execution_failed (a bug) with the code kept', () => {
    const type = caught(() => join(1 as unknown as string));
    expect(classify(type)).toMatchObject({
      code: 'execution_failed',
      details: { 'error.library_code': 'ERR_INVALID_ARG_TYPE' },
    });
    const range = caught(() => Buffer.alloc(-1));
    expect(classify(range)).toMatchObject({ code: 'execution_failed', category: 'execution' });
    expect((classify(range).details['error.library_code'] as string).startsWith('ERR_')).toBe(true);
  });

  it('ERR_HTTP_HEADERS_SENT (a response written twice) is execution_failed', async () => {
    let err: unknown;
    const server = createServer((_req, res) => {
      res.end('once');
      err = caught(() => res.setHeader('x-late', '1'));
    });
    const port = await listen(server);
    await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    server.close();
    expect((err as { code?: string }).code).toBe('ERR_HTTP_HEADERS_SENT');
    expect(classify(err).code).toBe('execution_failed');
  });

  it('a self-signed certificate is configuration_error, not a retryable network failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-tls-'));
    try {
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-subj',
            '/CN=localhost',
            '-days',
            '1',
            '-keyout',
            join(dir, 'key.pem'),
            '-out',
            join(dir, 'cert.pem'),
          ],
          { stdio: 'ignore' },
        );
      } catch (e) {
        throw new Error(
          `this test needs the openssl binary to make a certificate (apt-get install openssl): ${e}`,
        );
      }
      const server = createTlsServer({
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
      });
      const port = await listen(server);
      const err = await new Promise<unknown>((resolve) =>
        tlsConnect({ host: '127.0.0.1', port, servername: 'localhost' }).on('error', resolve),
      );
      server.close();
      expect((err as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(classify(err)).toMatchObject({ code: 'configuration_error', retryable: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('AbortSignal and the built-in classes', () => {
  it("AbortSignal.timeout's TimeoutError is operation_timeout, also as the cause of Node's AbortError", async () => {
    const timedOut = await sleep(1000, undefined, { signal: AbortSignal.timeout(10) }).catch(
      (e: unknown) => e,
    );
    expect((timedOut as Error).name).toBe('AbortError');
    expect(classify(timedOut).code).toBe('operation_timeout');
    const reason = await new Promise<unknown>((resolve) => {
      const signal = AbortSignal.timeout(10);
      signal.addEventListener('abort', () => resolve(signal.reason));
    });
    expect(classify(reason)).toMatchObject({ code: 'operation_timeout', category: 'timeout' });
  });

  it('an abort by the caller is cancelled', async () => {
    const controller = new AbortController();
    const pending = sleep(1000, undefined, { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(classify(await pending)).toMatchObject({ code: 'cancelled', retryable: false });
  });

  it('a RangeError of an impossible allocation is memory_exhausted; a plain TypeError execution_failed', () => {
    expect(classify(caught(() => 'x'.repeat(2 ** 30))).code).toBe('memory_exhausted');
    expect(classify(caught(() => (null as unknown as { x: number }).x)).code).toBe('execution_failed');
  });
});

describe('a body that does not parse: input when the parser says so, a bug otherwise', () => {
  it('a bare SyntaxError from JSON.parse in code is execution_failed', () => {
    expect(classify(caught(() => JSON.parse('{oops'))).code).toBe('execution_failed');
  });

  it("express.json()'s SyntaxError (type entity.parse.failed, status 400) is invalid_params", async () => {
    let err: unknown;
    const app = express();
    app.use(express.json());
    app.post('/', (_req, res) => {
      res.end('parsed');
    });
    app.use((e: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      err = e;
      res.status(400).end();
    });
    const server = createServer(app);
    const port = await listen(server);
    await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    server.close();
    expect((err as Error).name).toBe('SyntaxError');
    expect(classify(err)).toMatchObject({
      code: 'invalid_params',
      category: 'validation',
      details: { 'error.library_code': 'entity.parse.failed' },
    });
  });

  it("fastify's FST_ERR_CTP_INVALID_JSON_BODY is invalid_params", async () => {
    let err: unknown;
    const app = fastify();
    app.post('/', async () => 'parsed');
    app.setErrorHandler((e, _req, reply) => {
      err = e;
      return reply.status(400).send();
    });
    await app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    await app.close();
    expect((err as { code?: string }).code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    expect(classify(err)).toMatchObject({
      code: 'invalid_params',
      details: { 'error.library_code': 'FST_ERR_CTP_INVALID_JSON_BODY' },
    });
  });
});
