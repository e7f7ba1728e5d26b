// The cloud-SDK rules against real errors: the real DynamoDB client and the real Azure Blob client
// call a loopback server answering like the service (fake credentials: it is loopback), so the SDK
// builds its own exception; google-gax builds its GoogleError from a Google JSON error body.
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AnonymousCredential, BlobServiceClient } from '@azure/storage-blob';
import gax from 'google-gax';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, type Loopback, loopback } from './support/loopback.js';
import { classify, thrown } from './support/rules.js';

/** What the loopback DynamoDB answers next: [status, x-amzn-ErrorType, extra headers]. */
let dynamo: [number, string, Record<string, string>] = [400, 'ProvisionedThroughputExceededException', {}];
/** What the loopback Blob service answers next: [status, x-ms-error-code, extra headers]. */
let blob: [number, string, Record<string, string>] = [503, 'ServerBusy', {}];
let server: Loopback;

beforeAll(async () => {
  server = await loopback((req, res) => {
    if (req.headers['x-amz-target']) {
      const [status, type, headers] = dynamo;
      res
        .writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.dynamodb.v20120810/`,
          'x-amzn-requestid': 'REQ1',
          ...headers,
        })
        .end(
          JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'from loopback' }),
        );
      return;
    }
    const [status, code, headers] = blob;
    res
      .writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code, ...headers })
      .end(
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>from loopback</Message></Error>`,
      );
  });
});
afterAll(() => server.close());

describe('AWS SDK v3 (DynamoDB)', () => {
  const client = () =>
    new DynamoDBClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback' },
      maxAttempts: 1,
    });
  const getItem = () => client().send(new GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } }));

  it('ProvisionedThroughputExceededException is rate_limited, retryable, with the name and status as details', async () => {
    dynamo = [400, 'ProvisionedThroughputExceededException', {}];
    const err = await thrown(getItem);
    expect((err as { $fault?: string }).$fault).toBe('client');
    const c = classify(err);
    expect(c).toMatchObject({ code: 'rate_limited', category: 'rate_limit', retryable: true });
    expect(c.details).toMatchObject({
      'error.service_code': 'ProvisionedThroughputExceededException',
      'http.response.status_code': 400,
    });
  });

  it('ThrottlingException with Retry-After carries the hint', async () => {
    dynamo = [400, 'ThrottlingException', { 'retry-after': '2' }];
    const c = classify(await thrown(getItem));
    expect(c).toMatchObject({ code: 'rate_limited', retryAfterMs: 2000 });
  });

  it('ConditionalCheckFailedException is a conflict (not retried), the SDK class itself', async () => {
    dynamo = [400, 'ConditionalCheckFailedException', {}];
    const err = await thrown(getItem);
    expect(err).toBeInstanceOf(ConditionalCheckFailedException);
    expect(classify(err)).toMatchObject({ code: 'conflict', category: 'conflict', retryable: false });
  });

  it('InternalServerError (a server fault) is dependency_failed, retryable; ResourceNotFound not_found', async () => {
    dynamo = [500, 'InternalServerError', {}];
    expect(classify(await thrown(getItem))).toMatchObject({ code: 'dependency_failed', retryable: true });
    dynamo = [400, 'ResourceNotFoundException', {}];
    expect(classify(await thrown(getItem))).toMatchObject({ code: 'not_found', retryable: false });
  });

  it('ValidationException is invalid_params; AccessDeniedException permission_denied', async () => {
    dynamo = [400, 'ValidationException', {}];
    expect(classify(await thrown(getItem)).code).toBe('invalid_params');
    dynamo = [400, 'AccessDeniedException', {}];
    expect(classify(await thrown(getItem)).code).toBe('permission_denied');
  });

  it('ExpiredTokenException is credentials_rejected; TransactionConflictException transaction_conflict', async () => {
    dynamo = [400, 'ExpiredTokenException', {}];
    expect(classify(await thrown(getItem)).code).toBe('credentials_rejected');
    dynamo = [400, 'TransactionConflictException', {}];
    expect(classify(await thrown(getItem)).code).toBe('transaction_conflict');
  });

  it('an unknown service error falls back on $fault and the HTTP status', async () => {
    dynamo = [400, 'SomethingNewException', {}];
    expect(classify(await thrown(getItem))).toMatchObject({
      code: 'invalid_params',
      details: { 'error.service_code': 'SomethingNewException' },
    });
    dynamo = [503, 'SomethingNewException', {}];
    expect(classify(await thrown(getItem)).code).toBe('service_unavailable');
  });

  it("JavaScript's own classes are never read as AWS errors, whatever they carry", () => {
    const look = Object.assign(new TypeError('x is not a function'), { $fault: 'server' });
    expect(classify(look).code).toBe('execution_failed');
  });

  it('a refused connection is connection_failed', async () => {
    const port = await closedPort();
    const down = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback' },
      maxAttempts: 1,
    });
    const err = await thrown(() =>
      down.send(new GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } })),
    );
    expect(classify(err).code).toBe('connection_failed');
  });
});

describe('Azure (storage-blob RestError)', () => {
  const container = () =>
    new BlobServiceClient(`${server.url}/devstoreaccount1`, new AnonymousCredential(), {
      retryOptions: { maxTries: 1 },
    }).getContainerClient('c');

  it('ServerBusy 503 is service_unavailable with its Retry-After and the service code', async () => {
    blob = [503, 'ServerBusy', { 'retry-after': '3' }];
    const err = await thrown(() => container().getProperties());
    expect((err as Error).name).toBe('RestError');
    const c = classify(err);
    expect(c).toMatchObject({ code: 'service_unavailable', retryable: true, retryAfterMs: 3000 });
    expect(c.details).toMatchObject({ 'error.service_code': 'ServerBusy', 'http.response.status_code': 503 });
  });

  it('ContainerNotFound is not_found, AuthenticationFailed credentials_rejected', async () => {
    blob = [404, 'ContainerNotFound', {}];
    expect(classify(await thrown(() => container().getProperties())).code).toBe('not_found');
    blob = [403, 'AuthenticationFailed', {}];
    expect(classify(await thrown(() => container().getProperties())).code).toBe('credentials_rejected');
  });

  it('an unknown code falls back on the status; a refused connection is connection_failed', async () => {
    blob = [429, 'SomethingNew', {}];
    expect(classify(await thrown(() => container().getProperties())).code).toBe('rate_limited');
    const port = await closedPort();
    const down = new BlobServiceClient(`http://127.0.0.1:${port}/x`, new AnonymousCredential(), {
      retryOptions: { maxTries: 1 },
    });
    expect(classify(await thrown(() => down.getContainerClient('c').getProperties())).code).toBe(
      'connection_failed',
    );
  });
});

describe('Google Cloud (google-gax GoogleError)', () => {
  it('RESOURCE_EXHAUSTED with ErrorInfo and RetryInfo is rate_limited with the reason and the delay', () => {
    const err = gax.GoogleError.parseHttpError({
      error: {
        code: 429,
        message: 'Quota exceeded',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'RATE_LIMIT_EXCEEDED',
            domain: 'googleapis.com',
            metadata: { service: 'pubsub.googleapis.com' },
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' },
        ],
      },
    });
    const c = classify(err);
    expect(c).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 3000 });
    expect(c.details).toMatchObject({
      'rpc.response.status_code': 8,
      'error.service_code': 'RATE_LIMIT_EXCEEDED',
    });
  });

  it('UNAVAILABLE is service_unavailable, NOT_FOUND not_found, PERMISSION_DENIED permission_denied', () => {
    const of = (status: string) =>
      classify(gax.GoogleError.parseHttpError({ error: { code: 400, message: 'x', status, details: [] } }))
        .code;
    expect(of('UNAVAILABLE')).toBe('service_unavailable');
    expect(of('NOT_FOUND')).toBe('not_found');
    expect(of('PERMISSION_DENIED')).toBe('permission_denied');
  });

  it('a plain Error with a small numeric code and nothing of gax is not taken for a gRPC status', () => {
    expect(classify(Object.assign(new Error('x'), { code: 13 })).code).toBe('execution_failed');
  });
});
