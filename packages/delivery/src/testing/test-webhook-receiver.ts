/**
 * A real HTTP endpoint for webhook tests: `answer(id, attempt)` decides each POST (a status, or
 * 'hang': never answers, so the forwarder's timeout fires). It counts attempts per
 * `X-Vmta-Event-Id` (a batch, a JSON array: per its events' ids joined by commas), keeps the events
 * it accepted (2xx), each with the size of its POST, and checks the signature.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VmtaEvent } from '@vmta/queue';
import { signature } from '../webhooks/webhook-settings.js';

export interface AcceptedEvent {
  id: string;
  body: VmtaEvent;
  /** The X-Vmta-Signature header matched the body under `secret`. */
  signatureOk: boolean;
  /** Events in the POST that carried it (1 for a single event, the array's length for a batch). */
  batch: number;
  /** The POST's X-Vmta-Batch-Size header, if any. */
  batchHeader?: string;
}

export interface TestWebhookReceiver {
  url: string;
  attempts: Map<string, number>;
  accepted: AcceptedEvent[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { host?: string; secret?: string; answer: (id: string, attempt: number) => number | 'hang' }): Promise<TestWebhookReceiver> {
  const attempts = new Map<string, number>();
  const accepted: AcceptedEvent[] = [];
  const hung: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(raw) as VmtaEvent | VmtaEvent[];
      const events = Array.isArray(parsed) ? parsed : [parsed];
      const id = Array.isArray(parsed) ? events.map((e) => e.id).join(',') : String(req.headers['x-vmta-event-id']);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      const a = options.answer(id, n);
      if (a === 'hang') {
        hung.push(res);
        return;
      }
      if (a >= 200 && a < 300) {
        const sig = String(req.headers['x-vmta-signature'] ?? '');
        const t = Number(/t=(\d+)/.exec(sig)?.[1]);
        const signatureOk = options.secret !== undefined && sig === signature(options.secret, raw, t);
        const batchHeader = req.headers['x-vmta-batch-size'];
        for (const body of events) {
          accepted.push({ id: Array.isArray(parsed) ? body.id : id, body, signatureOk, batch: Array.isArray(parsed) ? events.length : 1, ...(typeof batchHeader === 'string' ? { batchHeader } : {}) });
        }
      }
      res.writeHead(a).end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}/hook`,
    attempts,
    accepted,
    close: () => {
      for (const r of hung) r.destroy();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
