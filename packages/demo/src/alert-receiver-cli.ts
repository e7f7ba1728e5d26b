// `node dist/alert-receiver.js`: the compose file's Alertmanager webhook receiver (see
// alert-receiver.ts). ALERT_RECEIVER_HOST (default 127.0.0.1) and ALERT_RECEIVER_PORT (default
// 9099, the origin prometheus/alertmanager.yml names) say where it listens.
import { startAlertReceiver } from './alert-receiver.js';
import { intFrom, stringFrom } from './env.js';

const host = stringFrom(process.env, 'ALERT_RECEIVER_HOST', '127.0.0.1');
const port = intFrom(process.env, 'ALERT_RECEIVER_PORT', 9099, 1, 65535);

startAlertReceiver({ host, port }).then(
  (receiver) => {
    process.stdout.write(`${JSON.stringify({ msg: 'alert receiver listening', url: receiver.url })}\n`);
    const stop = () => {
      receiver.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (error: Error) => {
    process.stderr.write(`[alert-receiver] cannot listen on ${host}:${port}: ${error.message}\n`);
    process.exit(1);
  },
);
