// Plain node:http app: `node --require @faultline/node/register node-http.cjs`. Without a framework
// the app routes itself, names the matched template on the SERVER span (http.route, as frameworks'
// instrumentations do), and its own try/catch records what failed with recordError, then answers.
const http = require('node:http');
const { trace } = require('@opentelemetry/api');
const { recordError } = require('@faultline/errors');
const cases = require('./cases.cjs');

const handlers = {
  ok: (id) => cases.order(id),
  faultline: () => cases.throwFaultline(),
  plain: () => cases.throwPlain(),
  async: () => cases.rejectAfterAwait(),
  next: () => {
    throw cases.conflictError();
  },
  db: () => cases.queryMissingTable(),
};
const routes = Object.entries(cases.ROUTES).map(([name, template]) => ({
  template,
  pattern: new RegExp(`^${template.replace(':id', '([^/]+)')}$`),
  handler: handlers[name],
}));

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = req.method === 'GET' ? routes.find((r) => r.pattern.test(path)) : undefined;
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
    return;
  }
  trace.getActiveSpan()?.setAttribute('http.route', route.template);
  try {
    send(res, 200, await route.handler(path.match(route.pattern)[1]));
  } catch (err) {
    recordError(undefined, err);
    const { status, body } = cases.answerFor(err);
    send(res, status, body);
  }
});
server.listen(0, '127.0.0.1', () => cases.listening(server.address().port));
