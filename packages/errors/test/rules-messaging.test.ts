// The Kafka rule against kafkajs's own errors: a real client connecting to a closed loopback port,
// the broker error table kafkajs builds protocol errors from, and its exported error classes.
import { createRequire } from 'node:module';
import {
  Kafka,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  logLevel,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { closedPort } from './support/loopback.js';
import { classify } from './support/rules.js';

// kafkajs turns a broker's numeric error code into its KafkaJSProtocolError with this function.
const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error & { type: string; retriable: boolean };
};

describe('kafkajs', () => {
  it('a real client against a closed port: retries exhausted over ECONNREFUSED, not retried again', async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${await closedPort()}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 200,
      retry: { retries: 1, initialRetryTime: 10, maxRetryTime: 20 },
    });
    const admin = kafka.admin();
    let err: unknown;
    try {
      await admin.connect();
    } catch (e) {
      err = e;
    } finally {
      await admin.disconnect();
    }
    expect((err as Error).name).toBe('KafkaJSNumberOfRetriesExceeded');
    const c = classify(err);
    // The client already retried: its verdict (retriable false) wins over connection_failed's default.
    expect(c).toMatchObject({ code: 'connection_failed', category: 'network', retryable: false });
  });

  it('NOT_LEADER_FOR_PARTITION is dependency_unavailable, retried; the broker error type is the detail', () => {
    const err = createErrorFromCode(6);
    expect(err.type).toBe('NOT_LEADER_FOR_PARTITION');
    const c = classify(err);
    expect(c).toMatchObject({ code: 'dependency_unavailable', retryable: true });
    expect(c.details).toMatchObject({
      'error.service_code': 'NOT_LEADER_FOR_PARTITION',
      'error.library_code': 'KafkaJSProtocolError',
    });
  });

  it('UNKNOWN_TOPIC_OR_PARTITION is not_found, retryable as kafkajs says (metadata may catch up)', () => {
    expect(classify(createErrorFromCode(3))).toMatchObject({ code: 'not_found', retryable: true });
  });

  it('authorization and size errors keep their non-retriable verdict', () => {
    expect(classify(createErrorFromCode(29))).toMatchObject({ code: 'permission_denied', retryable: false });
    expect(classify(createErrorFromCode(10))).toMatchObject({ code: 'invalid_data', retryable: false });
  });

  it('an unknown broker error follows its retriable flag', () => {
    const err = createErrorFromCode(-1);
    expect(classify(err)).toMatchObject({ code: 'dependency_failed', retryable: err.retriable });
  });

  it('the client classes: connection, request timeout, SASL, generic retriable and non-retriable', () => {
    expect(classify(new KafkaJSConnectionError('closed', { broker: 'b:9092' }))).toMatchObject({
      code: 'connection_failed',
      retryable: true,
    });
    expect(
      classify(
        new KafkaJSRequestTimeoutError('timed out', {
          broker: 'b:9092',
          clientId: 'c',
          correlationId: 1,
          createdAt: 0,
          sentAt: 0,
          pendingDuration: 0,
        }),
      ),
    ).toMatchObject({
      code: 'network_timeout',
      retryable: true,
    });
    expect(
      classify(
        new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)('bad password'),
      ).code,
    ).toBe('credentials_rejected');
    expect(classify(new KafkaJSError('transient'))).toMatchObject({
      code: 'dependency_unavailable',
      retryable: true,
    });
    expect(classify(new KafkaJSNonRetriableError('broken'))).toMatchObject({
      code: 'dependency_failed',
      retryable: false,
    });
  });
});
