/** Merges `smtp-listener` lines and `<smtp-listener>` stanzas into one list of listener addresses. */
import type { ListenerConfig, VmtaConfig } from './model.js';
import type { ListenerAddress } from './values/index.js';

const keyOf = (a: ListenerAddress) => `${a.address}|${a.port}`;

export function mergeListeners(config: VmtaConfig): ListenerConfig[] {
  const byKey = new Map<string, ListenerConfig>();
  const globalCert = config.global.settings['smtp-server-tls-certificate'] ?? undefined;
  const lines = config.global.settings['smtp-listener'] ?? [];
  const origins = config.global.origins['smtp-listener'] ?? [];
  lines.forEach((spec, i) => {
    byKey.set(keyOf(spec.address), {
      name: spec.address.text,
      address: spec.address,
      source: spec.source,
      immediateTls: false,
      tlsCertificate: globalCert,
      origin: origins[i] ?? config.global.origin,
    });
  });
  for (const stanza of config.listenerStanzas) {
    const key = keyOf(stanza.address);
    const base: ListenerConfig = byKey.get(key) ?? {
      name: stanza.address.text,
      address: stanza.address,
      immediateTls: false,
      tlsCertificate: globalCert,
      origin: stanza.origin,
    };
    const s = stanza.settings;
    byKey.set(key, {
      ...base,
      source: s.source ?? base.source,
      immediateTls: s['immediate-tls'] ?? base.immediateTls,
      tlsCertificate: s['tls-certificate'] ?? base.tlsCertificate,
    });
  }
  return [...byKey.values()];
}
