// Koa + @koa/router app: `node --require @faultline/node/register koa.cjs`.
const Koa = require('koa');
const Router = require('@koa/router');
const cases = require('./cases.cjs');

const app = new Koa();
// The app's own error middleware; a route miss is no error (Koa answers 404 "Not Found" itself).
app.use(async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    const { status, body } = cases.answerFor(err);
    ctx.status = status;
    ctx.body = body;
  }
});

const router = new Router();
router.get(cases.ROUTES.ok, (ctx) => {
  ctx.body = cases.order(ctx.params.id);
});
router.get(cases.ROUTES.faultline, () => cases.throwFaultline());
router.get(cases.ROUTES.plain, () => cases.throwPlain());
router.get(cases.ROUTES.async, async () => {
  await cases.rejectAfterAwait();
});
// A route middleware stops the request with ctx.throw before the handler runs.
router.get(
  cases.ROUTES.next,
  (ctx) => ctx.throw(409, cases.conflictError()),
  (ctx) => {
    ctx.body = 'never';
  },
);
router.get(cases.ROUTES.db, async (ctx) => {
  ctx.body = await cases.queryMissingTable();
});
app.use(router.routes());
app.use(router.allowedMethods());

const server = app.listen(0, '127.0.0.1', () => cases.listening(server.address().port));
