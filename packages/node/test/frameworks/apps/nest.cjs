// NestJS app on Express, in plain JavaScript with the decorators applied by hand (what the
// TypeScript compiler emits for @Controller/@Get/@Param/@Catch/@UseFilters/@Module):
// `node --require @faultline/node/register nest.cjs`.
require('reflect-metadata');
const { NestFactory, BaseExceptionFilter, HttpAdapterHost } = require('@nestjs/core');
const { Catch, Controller, Get, HttpException, Module, Param, UseFilters } = require('@nestjs/common');
const { throwError } = require('rxjs');
const cases = require('./cases.cjs');
const { FaultlineError } = require('@faultline/errors');

function answer(exception, host) {
  const { status, body } = cases.answerFor(exception);
  host.switchToHttp().getResponse().status(status).json(body);
}

/** The app's global filter; Nest's own HttpExceptions (the route miss 404) keep Nest's answer. */
class AppExceptionFilter extends BaseExceptionFilter {
  catch(exception, host) {
    if (exception instanceof HttpException) return super.catch(exception, host);
    return answer(exception, host);
  }
}
Catch()(AppExceptionFilter);

/** A route-scoped filter: the error path of /next/:id. */
class ConflictFilter {
  catch(exception, host) {
    return answer(exception, host);
  }
}
Catch(FaultlineError)(ConflictFilter);

class OrdersController {
  ok(id) {
    return cases.order(id);
  }
  faultline() {
    cases.throwFaultline();
  }
  plain() {
    cases.throwPlain();
  }
  async async() {
    await cases.rejectAfterAwait();
  }
  next() {
    // An Observable that errors: Nest sends the error to the exception filters.
    return throwError(() => cases.conflictError());
  }
  async db() {
    return cases.queryMissingTable();
  }
}

const nestPath = (template) => template.slice(1);
for (const [method, template] of Object.entries(cases.ROUTES)) {
  const proto = OrdersController.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(proto, method);
  Param('id')(proto, method, 0);
  Get(nestPath(template))(proto, method, descriptor);
  if (method === 'next') UseFilters(ConflictFilter)(proto, method, descriptor);
}
Controller()(OrdersController);

class AppModule {}
Module({ controllers: [OrdersController] })(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useGlobalFilters(new AppExceptionFilter(app.get(HttpAdapterHost).httpAdapter));
  await app.listen(0, '127.0.0.1');
  cases.listening(app.getHttpServer().address().port);
}

main();
