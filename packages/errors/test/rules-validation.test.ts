// The validation and auth rules against the libraries' own errors: a real parse of bad input,
// a real jwt.verify of an expired token, a real ajv validate.
import { Ajv, ValidationError as AjvValidationError } from 'ajv';
import { IsEmail, IsInt, Min, ValidateNested, validate } from 'class-validator';
import Joi from 'joi';
import * as jose from 'jose';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import * as yup from 'yup';
import { z } from 'zod';
import { caught, classify, thrown } from './support/rules.js';

const SECRET_INPUT = 'hunter2-not-an-email';

describe('validation libraries: invalid_params with the failing field paths, never the values', () => {
  it('zod', () => {
    const schema = z.object({ user: z.object({ email: z.email() }), tags: z.array(z.number()) });
    const c = classify(caught(() => schema.parse({ user: { email: SECRET_INPUT }, tags: ['a'] })));
    expect(c).toMatchObject({
      code: 'invalid_params',
      category: 'validation',
      severity: 'low',
      retryable: false,
    });
    expect(c.details.fields).toEqual(['user.email', 'tags.0']);
    expect(c.details['error.library_code']).toBe('ZodError');
    expect(JSON.stringify(c)).not.toContain(SECRET_INPUT);
  });

  it('zod: at most 20 paths of at most 64 characters; input-provided record keys read as *', () => {
    const many = z.array(z.number()).parse.bind(z.array(z.number()));
    const c = classify(caught(() => many(Array.from({ length: 500 }, () => 'x'))));
    expect(c.details.fields).toHaveLength(20);
    const deep = z.object({ ['a'.repeat(60)]: z.object({ ['b'.repeat(60)]: z.number() }) });
    const long = classify(caught(() => deep.parse({ ['a'.repeat(60)]: { ['b'.repeat(60)]: 'x' } })));
    expect((long.details.fields as string[])[0]).toHaveLength(64);
    const record = z.record(z.string(), z.number());
    const keyed = classify(caught(() => record.parse({ 'drop table; --': 'x' })));
    expect(keyed.details.fields).toEqual(['*']);
  });

  it('joi', async () => {
    const schema = Joi.object({ a: Joi.object({ b: Joi.number() }), c: Joi.string().email() });
    const err = await thrown(() =>
      schema.validateAsync({ a: { b: 'x' }, c: SECRET_INPUT }, { abortEarly: false }),
    );
    const c = classify(err);
    expect(c.code).toBe('invalid_params');
    expect(c.details.fields).toEqual(['a.b', 'c']);
    expect(JSON.stringify(c)).not.toContain(SECRET_INPUT);
  });

  it('yup (abortEarly false: inner; abortEarly true: its own path)', async () => {
    const schema = yup.object({
      a: yup.object({ b: yup.number().required() }),
      list: yup.array(yup.number()),
    });
    const all = classify(
      await thrown(() => schema.validate({ a: { b: 'x' }, list: ['y'] }, { abortEarly: false })),
    );
    expect(all.code).toBe('invalid_params');
    expect(all.details.fields).toEqual(['a.b', 'list.0']);
    const first = classify(await thrown(() => schema.validate({ a: { b: 'x' } })));
    expect(first.details.fields).toEqual(['a.b']);
  });

  it('ajv: the async ValidationError, and Ajv.ValidationError thrown after a sync validate', async () => {
    const ajv = new Ajv({ allErrors: true });
    const check = ajv.compile({
      $async: true,
      type: 'object',
      properties: { a: { type: 'integer' } },
      required: ['b'],
    });
    const c = classify(await thrown(() => Promise.resolve(check({ a: 'x' }))));
    expect(c.code).toBe('invalid_params');
    expect(c.details.fields).toEqual(['b', 'a']);
    const sync = new Ajv().compile({ type: 'object', properties: { n: { type: 'number' } } });
    expect(sync({ n: 'x' })).toBe(false);
    const thrownAfter = new AjvValidationError(sync.errors ?? []);
    expect(classify(thrownAfter).details.fields).toEqual(['n']);
  });

  it("ajv's MissingRefError is a bug (execution_failed), not the caller's input", () => {
    const c = classify(caught(() => new Ajv().compile({ $ref: 'missing.json#' })));
    expect(c).toMatchObject({
      code: 'execution_failed',
      details: { 'error.library_code': 'ajv.MissingRefError' },
    });
  });

  it('class-validator: the ValidationError array thrown as is, or wrapped as cause', async () => {
    // The decorators applied as functions (legacy property decorators: target, key).
    class Address {
      email = SECRET_INPUT;
    }
    IsEmail()(Address.prototype, 'email');
    class Dto {
      age = -1;
      address = new Address();
    }
    IsInt()(Dto.prototype, 'age');
    Min(0)(Dto.prototype, 'age');
    ValidateNested()(Dto.prototype, 'address');
    const errors = await validate(new Dto());
    expect(errors.length).toBe(2);
    const c = classify(errors);
    expect(c.code).toBe('invalid_params');
    expect(c.details.fields).toEqual(['age', 'address.email']);
    expect(JSON.stringify(c)).not.toContain(SECRET_INPUT);
    expect(classify(new Error('validation failed', { cause: errors })).details.fields).toEqual([
      'age',
      'address.email',
    ]);
  });

  it('a plain Error named ValidationError without any library shape is left alone', () => {
    const err = Object.assign(new Error('bad'), { name: 'ValidationError' });
    expect(classify(err).code).toBe('execution_failed');
  });
});

describe('auth libraries: unauthenticated with a bounded reason', () => {
  const secret = 'loopback-secret-0123456789abcdef';

  it('jsonwebtoken: an expired token, a bad signature, a token not active yet', () => {
    const expired = jwt.sign({ sub: 'u', exp: Math.floor(Date.now() / 1000) - 10 }, secret);
    const c = classify(caught(() => jwt.verify(expired, secret)));
    expect(c).toMatchObject({ code: 'unauthenticated', category: 'authentication', retryable: false });
    expect(c.details).toMatchObject({
      'auth.reason': 'token_expired',
      'error.library_code': 'TokenExpiredError',
    });
    expect(JSON.stringify(c)).not.toContain(expired);
    const valid = jwt.sign({ sub: 'u' }, secret);
    expect(classify(caught(() => jwt.verify(valid, 'other-secret'))).details['auth.reason']).toBe(
      'signature_invalid',
    );
    expect(classify(caught(() => jwt.verify('not.a.jwt', secret))).details['auth.reason']).toBe(
      'token_malformed',
    );
    const early = jwt.sign({ sub: 'u', nbf: Math.floor(Date.now() / 1000) + 3600 }, secret);
    expect(classify(caught(() => jwt.verify(early, secret))).details['auth.reason']).toBe('token_not_active');
    const aud = jwt.sign({ sub: 'u', aud: 'a' }, secret);
    expect(classify(caught(() => jwt.verify(aud, secret, { audience: 'b' }))).details['auth.reason']).toBe(
      'claim_invalid',
    );
  });

  it('jsonwebtoken: a verify without a key is the service misconfigured, not the caller', () => {
    const token = jwt.sign({ sub: 'u' }, secret);
    const c = classify(caught(() => jwt.verify(token, '')));
    expect(c.code).toBe('configuration_error');
  });

  it('jose: JWTExpired, JWSSignatureVerificationFailed, JWTClaimValidationFailed', async () => {
    const key = new TextEncoder().encode(secret);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new jose.SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now - 10)
      .sign(key);
    const c = classify(await thrown(() => jose.jwtVerify(expired, key)));
    expect(c).toMatchObject({ code: 'unauthenticated', retryable: false });
    expect(c.details).toMatchObject({
      'auth.reason': 'token_expired',
      'error.library_code': 'ERR_JWT_EXPIRED',
    });
    const other = new TextEncoder().encode('x'.repeat(32));
    expect(classify(await thrown(() => jose.jwtVerify(expired, other))).details['auth.reason']).toBe(
      'signature_invalid',
    );
    const issued = await new jose.SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('a')
      .sign(key);
    expect(
      classify(await thrown(() => jose.jwtVerify(issued, key, { issuer: 'b' }))).details['auth.reason'],
    ).toBe('claim_invalid');
    const early = await new jose.SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore(now + 3600)
      .sign(key);
    expect(classify(await thrown(() => jose.jwtVerify(early, key))).details['auth.reason']).toBe(
      'token_not_active',
    );
    expect(classify(await thrown(() => jose.jwtVerify('garbage', key))).details['auth.reason']).toBe(
      'token_malformed',
    );
  });
});
