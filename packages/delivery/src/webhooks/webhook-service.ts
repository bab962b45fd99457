/**
 * The `<webhook>` forwarders of a delivery process: one WebhookForwarder per stanza, each a consumer
 * (`<hostname>:<pid>`) in the webhook's group on the accounting stream, kept by StanzaConsumers: a
 * reload starts new webhooks, updates changed ones and stops removed ones (their group stays:
 * `XGROUP DESTROY` it once no process has that webhook any more, or it keeps the stream from being
 * trimmed until the cap).
 */
import type { VmtaConfig } from '@vmta/config';
import { webhookGroup } from '@vmta/queue';
import { pino } from 'pino';
import { StanzaConsumers } from '../accounting/stanza-consumers.js';
import { streamMembers, type StreamServiceOptions } from '../accounting/stream-service.js';
import { WebhookForwarder } from './webhook-forwarder.js';
import { webhookSettings, type WebhookSettings } from './webhook-settings.js';

/** `batchSize` (entries read at once) defaults to 100. */
export interface StartWebhooksOptions extends StreamServiceOptions {
  /** Tests: timings below the config's one-second grain. */
  timing?: Partial<Pick<WebhookSettings, 'timeoutMs' | 'retryInitialMs' | 'retryMaxMs'>>;
}

export interface RunningWebhooks {
  reload(config: VmtaConfig): void;
  close(): Promise<void>;
}

export async function startWebhooks(options: StartWebhooksOptions): Promise<RunningWebhooks> {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'webhooks' });
  const members = streamMembers(options, 100);
  const consumers = new StanzaConsumers<WebhookSettings, WebhookForwarder>({
    start(name, settings) {
      const forwarder = new WebhookForwarder({ ...members.member(), group: webhookGroup(name), settings, log });
      log.info({ event: 'webhook', webhook: settings.name, url: settings.url, group: webhookGroup(name), consumer: members.consumer }, 'forwarding events');
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
