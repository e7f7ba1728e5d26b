// Regenerates docs/error-codes.md from the built packages (pnpm build first).
// test/docs.test.ts keeps the page and the code equal both ways.
import { existsSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const errors = await import(new URL('packages/errors/dist/index.js', root).href);
const rows = errors
  .listErrorCodes()
  .filter((c) => c.builtIn)
  .sort((a, b) => a.category.localeCompare(b.category) || a.code.localeCompare(b.code));

let md =
  '# Error codes\n\nEvery code Faultline knows, generated from the code by `scripts/gen-error-docs.mjs` and kept equal to it by `test/docs.test.ts`.\n\n';
md +=
  '## Taxonomy codes (`@faultline/errors`)\n\nA code belongs to one category; severity, retryable and the wire mapping are its defaults (an error may override severity and retryable). Register your own with `defineErrorCode(code, { category, ... })`. "stack" says whether errors of the code capture a stack by default (operational errors do not: stacks cost microseconds).\n\n';
md +=
  '| code | category | severity | retryable | HTTP | gRPC | stack | meaning |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n';
for (const c of rows) {
  md += `| \`${c.code}\` | ${c.category} | ${c.severity} | ${c.retryable ? 'yes' : 'no'} | ${c.httpStatus} | ${errors.GRPC_CODE_NAMES[c.grpcCode]} | ${c.captureStack ? 'yes' : 'no'} | ${c.description} |\n`;
}
md +=
  '\n## Library codes\n\nErrors and warnings Faultline itself raises for a programming or configuration mistake (never for a telemetry failure at run time). Each says what to do.\n\n| code | package | what to do |\n| --- | --- | --- |\n';
for (const name of ['errors', 'node', 'grpc', 'http', 'resilience', 'stack']) {
  const dist = new URL(`packages/${name}/dist/index.js`, root);
  if (!existsSync(dist)) continue;
  const mod = await import(dist.href);
  for (const [code, text] of Object.entries(mod.LIBRARY_ERROR_CODES ?? {})) {
    md += `| \`${code}\` | @faultline/${name} | ${String(text).replace(/\|/g, '\\|')} |\n`;
  }
}
md +=
  "\n## Recognised library errors\n\nWhat `toFaultlineError` recognises of the errors other libraries throw, by shape (no client library is loaded at run time), in the order the rules are tried: the first rule that matches decides; rules added with `addClassifierRule` come before these. A rule keeps the library's own code as a detail (`db.response.status_code`: the SQLSTATE, the MySQL errno, the Redis reply prefix, with `db.system.name`; `prisma.error_code`; `fields`: the names of the failing fields, at most 20 of at most 64 characters), never a message or a value. The database and ORM rules also replace the message: a driver's text quotes data (the duplicate value, the row, the query and its parameters) and conflict, validation and timeout messages reach callers, so the error says `<system> <its code>: <what the code means>` (e.g. `mysql 1062: The resource already exists.`) and keeps the driver's error, with its own message and stack, as its `cause`. `*` means the error it wraps decides.\n\nDecisions: PostgreSQL `3D000` (the configured database does not exist) and `42501` / MySQL `1044` (this service's role lacks a grant) are `configuration_error`, not `invalid_query` or the caller's `permission_denied`; `53100` disk_full and the like are the database server's resources, hence `resource_exhausted`, never this process's `disk_full` / `memory_exhausted`. `db.system.name` is `mysql` for the MySQL and MariaDB error numbers they share (the error does not say which server sent it) and `mariadb` for MariaDB's own (19xx).\n\nClient-library decisions: a timeout of the budget the caller gave the whole request (axios `timeout`, got `timeout.request` and its response/read/send phases, ky `timeout`, node-fetch `timeout`, `AbortSignal.timeout`) is `operation_timeout` (we only know the budget was spent); a timer on a network phase (got `lookup`/`connect`/`secureConnect`/`socket`, undici's connect/headers/body timeouts, the OS's `ETIMEDOUT`) is `network_timeout`; both are retryable. A `Retry-After` (seconds or HTTP-date) becomes `retryAfterMs`; on a 429 or 503 only, so do `RateLimit` (`t=`), `RateLimit-Reset` and `X-RateLimit-Reset`; hints are bounded to one day. Validation errors (zod, joi, yup, ajv, class-validator) are `invalid_params` with the failing field paths in `fields` (a segment taken from the input reads `*`; never a value); JWT errors (jsonwebtoken, jose) are `unauthenticated` with a bounded `auth.reason` (`token_expired`, `signature_invalid`, ...), and a verify call the service got wrong (no key) is `configuration_error`. kafkajs's own `retriable` decides `retryable`.\n\nNode decisions: `EACCES`/`EPERM`/`EROFS` (a local resource this process may not use) and `ENOENT`/`ENOTDIR`/`EISDIR` (a file the service needs is missing), `EADDRINUSE` and TLS certificate errors are `configuration_error`, not the caller's `permission_denied` / `not_found` (check a user-named file before the call and raise `not_found` yourself). `ERR_INVALID_ARG_TYPE`/`_VALUE`, `ERR_OUT_OF_RANGE`, `ERR_HTTP_HEADERS_SENT` are bugs (`execution_failed`, the Node code kept as a detail). A `SyntaxError` is a bug, except a request body's that failed to parse: body-parser/Express mark theirs `type: 'entity.parse.failed'` with status 400, Fastify raises `FST_ERR_CTP_*`; those are `invalid_params`. node-fetch turns `AbortSignal.timeout` into a plain `AbortError` (it drops the reason): `cancelled`.\n\n| rule | libraries | matches | code |\n| --- | --- | --- | --- |\n";
const cell = (text) => String(text).replace(/\|/g, '\\|');
for (const rule of errors.classifierRules()) {
  const libraries = rule.libraries.join(', ');
  const cases = rule.cases ?? [{ matches: '—', code: '—' }];
  for (const c of cases)
    md += `| \`${rule.id}\` | ${cell(libraries)} | ${cell(c.matches)} | \`${c.code}\` |\n`;
}
writeFileSync(new URL('docs/error-codes.md', root), md);
console.log('wrote docs/error-codes.md');
