// Express app (4 or 5): `node --require @faultline/node/register express.cjs <express4|express>`.
// express5.mjs builds the same app from an ESM import of express.
const cases = require('./cases.cjs');

/**
 * Express 5 forwards a rejected promise to the error handler itself; Express 4 does not, so there
 * async handlers pass the rejection to next(), as its docs say.
 */
function expressApp(express, major) {
  const asyncRoute = (fn) => (major >= 5 ? fn : (req, res, next) => fn(req, res, next).catch(next));
  const app = express();
  app.get(cases.ROUTES.ok, (req, res) => res.json(cases.order(req.params.id)));
  app.get(cases.ROUTES.faultline, () => cases.throwFaultline());
  app.get(cases.ROUTES.plain, () => cases.throwPlain());
  app.get(
    cases.ROUTES.async,
    asyncRoute(async () => cases.rejectAfterAwait()),
  );
  app.get(cases.ROUTES.next, (_req, _res, next) => next(cases.conflictError()));
  app.get(
    cases.ROUTES.db,
    asyncRoute(async (_req, res) => res.json(await cases.queryMissingTable())),
  );
  // The app's own error handler; a route miss never reaches it (Express answers 404 itself).
  app.use((err, _req, res, _next) => {
    const { status, body } = cases.answerFor(err);
    res.status(status).json(body);
  });
  return app;
}

function serve(app) {
  const server = app.listen(0, '127.0.0.1', () => cases.listening(server.address().port));
  return server;
}

if (require.main === module) {
  const name = process.argv[2] ?? 'express';
  const major = Number(require(`${name}/package.json`).version.split('.')[0]);
  serve(expressApp(require(name), major));
}

module.exports = { expressApp, serve };
