// The demo's Alertmanager webhook receiver. docker-compose.yml runs it inside Alertmanager's
// network namespace (`network_mode: service:alertmanager`), so the receivers of
// prometheus/alertmanager.yml (http://127.0.0.1:9099/<receiver>) reach it unchanged. It logs one
// JSON line per alert and answers GET /notifications with the latest notifications.
//
// The body comes from the network: it is size-bounded, parsed defensively, and every string kept is
// truncated, so a bad or hostile payload gets a 400 with the reason and never throws.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ALERTS = 1000;
const MAX_LABELS = 64;
const MAX_TEXT = 1024;

export interface ReceivedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
}

export interface Notification {
  /** Request path: alertmanager.yml tells its receivers apart by it (/alerts/page, /alerts/ticket, /alerts). */
  path: string;
  receivedAt: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  alerts: ReceivedAlert[];
  /** Alerts beyond MAX_ALERTS that were dropped from this notification. */
  truncatedAlerts: number;
}

export type Parsed =
  | { ok: true; value: Omit<Notification, 'path' | 'receivedAt'> }
  | { ok: false; reason: string };

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  let n = 0;
  for (const [key, v] of Object.entries(value)) {
    const s = text(v);
    if (s === undefined || key === '__proto__') continue;
    if (++n > MAX_LABELS) break;
    out[text(key) ?? key] = s;
  }
  return out;
}

function status(value: unknown): 'firing' | 'resolved' | undefined {
  return value === 'firing' || value === 'resolved' ? value : undefined;
}

/** Reads an Alertmanager webhook payload (version 4) from parsed JSON; never throws. */
export function parseNotification(body: unknown): Parsed {
  if (!isObject(body)) return { ok: false, reason: 'the body is not a JSON object' };
  if (body.version !== '4')
    return {
      ok: false,
      reason: `unsupported webhook payload version ${JSON.stringify(body.version)?.slice(0, 40)}`,
    };
  const overall = status(body.status);
  if (!overall) return { ok: false, reason: 'status must be "firing" or "resolved"' };
  if (!Array.isArray(body.alerts)) return { ok: false, reason: 'alerts must be an array' };
  const alerts: ReceivedAlert[] = [];
  for (const raw of body.alerts.slice(0, MAX_ALERTS)) {
    if (!isObject(raw)) return { ok: false, reason: 'every alert must be an object' };
    const s = status(raw.status);
    if (!s) return { ok: false, reason: 'every alert needs status "firing" or "resolved"' };
    const alert: ReceivedAlert = {
      status: s,
      labels: stringMap(raw.labels),
      annotations: stringMap(raw.annotations),
    };
    const startsAt = text(raw.startsAt);
    if (startsAt !== undefined) alert.startsAt = startsAt;
    alerts.push(alert);
  }
  return {
    ok: true,
    value: {
      receiver: text(body.receiver) ?? '',
      status: overall,
      groupKey: text(body.groupKey) ?? '',
      alerts,
      truncatedAlerts: Math.max(0, body.alerts.length - MAX_ALERTS),
    },
  };
}

export interface AlertReceiverOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** How many notifications GET /notifications keeps (oldest dropped first). Default 200. */
  keep?: number;
  /** Where the one-line-per-alert log goes (default stdout). */
  write?: (line: string) => void;
}

export interface AlertReceiver {
  url: string;
  notifications(): readonly Notification[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function startAlertReceiver(options: AlertReceiverOptions = {}): Promise<AlertReceiver> {
  const keep = options.keep ?? 200;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const kept: Notification[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/healthz') return answer(res, 200, { ok: true });
    if (req.method === 'GET' && path === '/notifications') return answer(res, 200, kept);
    if (req.method !== 'POST')
      return answer(res, 405, { error: 'POST a webhook payload, or GET /notifications' });
    const body = await readBody(req);
    if (body === undefined)
      return answer(res, 413, { error: `the body is larger than ${MAX_BODY_BYTES} bytes` });
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return answer(res, 400, { error: 'the body is not JSON' });
    }
    const parsed = parseNotification(json);
    if (!parsed.ok) return answer(res, 400, { error: parsed.reason });
    const notification: Notification = {
      path: text(path) ?? '/',
      receivedAt: new Date().toISOString(),
      ...parsed.value,
    };
    kept.push(notification);
    if (kept.length > keep) kept.splice(0, kept.length - keep);
    for (const alert of notification.alerts) {
      write(
        JSON.stringify({
          msg: 'alert',
          path: notification.path,
          receiver: notification.receiver,
          status: alert.status,
          alertname: alert.labels.alertname,
          severity: alert.labels.severity,
          service_name: alert.labels.service_name,
          summary: alert.annotations.summary,
        }),
      );
    }
    return answer(res, 200, { ok: true });
  };

  return new Promise((resolve, reject) => {
    const server: Server = createServer((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) answer(res, 500, { error: 'could not read the request' });
      });
    });
    server.on('error', reject);
    server.listen(options.port ?? 9099, options.host ?? '127.0.0.1', () => {
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({
        url: `http://${host}:${port}`,
        notifications: () => kept,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
