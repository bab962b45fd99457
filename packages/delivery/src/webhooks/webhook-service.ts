/**
 * The `<webhook>` forwarders of a delivery process: one WebhookForwarder per stanza, each a consumer
 * (`<hostname>:<pid>`) in the webhook's group on the accounting stream, kept by StanzaConsumers: a
 * reload starts new webhooks, updates changed ones and stops removed ones (their group stays:
 * `XGROUP DESTROY` it once no process has that webhook any more, or it keeps the stream from being
 * trimmed until the cap).
 */
import os from 'node:os';
import type { VmtaConfig } from '@vmta/config';
import { createRedis, Keys, webhookGroup } from '@vmta/queue';
import { pino, type Logger } from 'pino';
import { StanzaConsumers } from '../accounting/stanza-consumers.js';
import { WebhookForwarder } from './webhook-forwarder.js';
import { webhookSettings, type WebhookSettings } from './webhook-settings.js';

export interface StartWebhooksOptions {
  config: VmtaConfig;
  redisUrl: string;
  prefix?: string;
  logger?: Logger;
  /** Unique per process; default `<hostname>:<pid>`. */
  consumer?: string;
  /** How long one XREADGROUP waits (ms). Default 2000. */
  blockMs?: number;
  /** Entries read at once. Default 100. */
  batchSize?: number;
  /** Pending entries idle this long belong to a dead process and are claimed (ms). Default 60000. */
  claimIdleMs?: number;
  /** Tests: timings below the config's one-second grain. */
  timing?: Partial<Pick<WebhookSettings, 'timeoutMs' | 'retryInitialMs' | 'retryMaxMs'>>;
}

export interface RunningWebhooks {
  reload(config: VmtaConfig): void;
  close(): Promise<void>;
}

export async function startWebhooks(options: StartWebhooksOptions): Promise<RunningWebhooks> {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'webhooks' });
  const key = new Keys(options.prefix ?? 'vmta').accounting();
  const consumer = options.consumer ?? `${os.hostname()}:${process.pid}`;
  const consumers = new StanzaConsumers<WebhookSettings, WebhookForwarder>({
    start(name, settings) {
      const forwarder = new WebhookForwarder({
        redis: createRedis(options.redisUrl, 'delivery'),
        reader: createRedis(options.redisUrl, 'delivery'),
        key,
        group: webhookGroup(name),
        consumer,
        settings,
        log,
        blockMs: options.blockMs ?? 2000,
        batchSize: options.batchSize ?? 100,
        claimIdleMs: options.claimIdleMs ?? 60_000,
      });
      log.info({ event: 'webhook', webhook: settings.name, url: settings.url, group: webhookGroup(name), consumer }, 'forwarding events');
      return forwarder;
    },
    stopFailed: (name, err) => log.error({ event: 'error', webhook: name, err }, 'stopping a webhook failed'),
  });

  const apply = (config: VmtaConfig): void => {
    const wanted = new Map<string, WebhookSettings>();
    for (const [name, stanza] of Object.entries(config.webhooks)) {
      try {
        wanted.set(name, { ...webhookSettings(stanza), ...options.timing });
      } catch (err) {
        log.error({ event: 'bad-setting', webhook: stanza.name, err }, 'webhook skipped');
      }
    }
    for (const name of consumers.apply(wanted).removed) {
      log.info({ event: 'webhook-removed', webhook: name }, 'webhook no longer configured');
    }
  };

  apply(options.config);
  return {
    reload: apply,
    close: () => consumers.close(),
  };
}
