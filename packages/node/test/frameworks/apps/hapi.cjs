// Hapi app: `node --require @faultline/node/register hapi.cjs`. Hapi writes templates as '{id}'.
const Hapi = require('@hapi/hapi');
const cases = require('./cases.cjs');

const path = (template) => template.replace(/:(\w+)/g, '{$1}');

async function main() {
  const server = Hapi.server({ host: '127.0.0.1', port: 0 });
  server.route([
    { method: 'GET', path: path(cases.ROUTES.ok), handler: (request) => cases.order(request.params.id) },
    { method: 'GET', path: path(cases.ROUTES.faultline), handler: () => cases.throwFaultline() },
    { method: 'GET', path: path(cases.ROUTES.plain), handler: () => cases.throwPlain() },
    { method: 'GET', path: path(cases.ROUTES.async), handler: async () => cases.rejectAfterAwait() },
    // A handler that returns an error: Hapi wraps it (Boom) and answers it as a failure.
    { method: 'GET', path: path(cases.ROUTES.next), handler: () => cases.conflictError() },
    { method: 'GET', path: path(cases.ROUTES.db), handler: async () => cases.queryMissingTable() },
  ]);
  // The app's own error answer for what its handlers threw or returned (Hapi boomifies the error
  // object itself, answering 500); Hapi's own answers, such as the route miss 404, pass unchanged.
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    if (!response.isBoom || response.output.statusCode !== 500) return h.continue;
    const { status, body } = cases.answerFor(response);
    return h.response(body).code(status);
  });
  await server.start();
  cases.listening(server.info.port);
}

main();
