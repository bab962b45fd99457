/**
 * Delivery processes for a test: `processes` delivery services on one config and Redis, logging
 * into one array of parsed pino lines (assert on `event`). For tests only.
 */
import pino from 'pino';
import type { VmtaConfig } from '@vmta/config';
import { startDelivery, type RunningDelivery } from '../worker/delivery-service.js';

export interface TestDeliveries {
  deliveries: RunningDelivery[];
  /** Every log line of every process, parsed. */
  events: Array<Record<string, unknown>>;
}

export async function startTestDeliveries(o: { config: VmtaConfig; redisUrl: string; prefix: string; processes?: number; concurrency?: number }): Promise<TestDeliveries> {
  const events: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>) });
  const deliveries: RunningDelivery[] = [];
  for (let i = 0; i < (o.processes ?? 1); i++) deliveries.push(await startDelivery({ config: o.config, redisUrl: o.redisUrl, prefix: o.prefix, concurrency: o.concurrency ?? 8, logger }));
  return { deliveries, events };
}
