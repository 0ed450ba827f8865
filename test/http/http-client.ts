/**
 * A plain node:http client for the serving tests: it tells when a request's body has left (so a test can act while
 * the server is busy with it) and reports connection errors by their code instead of throwing.
 */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Sent {
  /** resolves when the whole body has been written to the socket */
  sent: Promise<void>;
  /** the answer, or the connection error's code ('ECONNRESET', …) */
  done: Promise<Answer | { error: string }>;
}

/** POSTs `body` as JSON to `url` (one connection per request). */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Sent {
  const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  let sent!: () => void;
  const sentPromise = new Promise<void>((resolve) => (sent = resolve));
  const done = new Promise<Answer | { error: string }>((resolve) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...headers },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.name }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      sent();
      resolve({ error: e.code ?? e.name });
    });
    req.end(data, () => sent());
  });
  return { sent: sentPromise, done };
}

/** A clinical-looking text of exactly `n` UTF-16 units with many entities. */
export function clinicalText(n: number): string {
  const unit = '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛。';
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
