// Fastify 5 app: `node --require @faultline/node/register fastify.cjs`.
const fastify = require('fastify');
const cases = require('./cases.cjs');

const app = fastify();
// The app's own error handler; a route miss goes to Fastify's default not-found handler.
app.setErrorHandler((err, _request, reply) => {
  const { status, body } = cases.answerFor(err);
  reply.code(status).send(body);
});
app.get(cases.ROUTES.ok, async (request) => cases.order(request.params.id));
app.get(cases.ROUTES.faultline, () => cases.throwFaultline());
app.get(cases.ROUTES.plain, () => cases.throwPlain());
app.get(cases.ROUTES.async, async () => cases.rejectAfterAwait());
app.get(cases.ROUTES.next, (_request, reply) => {
  reply.send(cases.conflictError());
});
app.get(cases.ROUTES.db, async () => cases.queryMissingTable());

app.listen({ host: '127.0.0.1', port: 0 }).then(() => cases.listening(app.server.address().port));
