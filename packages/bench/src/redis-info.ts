/** Parsing Redis INFO output: sections of `key:value` lines, commandstats as `calls=..,usec=..`. */

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export interface CommandStat {
  calls: number;
  usec: number;
}

/** `cmdstat_evalsha:calls=3,usec=40,...` lines into command -> calls/usec. */
export function parseCommandStats(text: string): Record<string, CommandStat> {
  const out: Record<string, CommandStat> = {};
  for (const [key, value] of Object.entries(parseInfo(text))) {
    if (!key.startsWith('cmdstat_')) continue;
    const fields = Object.fromEntries(value.split(',').map((kv) => kv.split('=') as [string, string]));
    out[key.slice('cmdstat_'.length)] = { calls: Number(fields.calls ?? 0), usec: Number(fields.usec ?? 0) };
  }
  return out;
}

export interface PerMessageStat {
  command: string;
  callsPerMessage: number;
  usecPerMessage: number;
}

/** Commands sorted by Redis time spent, scaled to one message. */
export function perMessage(stats: Record<string, CommandStat>, messages: number): PerMessageStat[] {
  if (messages <= 0) return [];
  return Object.entries(stats)
    .map(([command, s]) => ({ command, callsPerMessage: s.calls / messages, usecPerMessage: s.usec / messages }))
    .sort((a, b) => b.usecPerMessage - a.usecPerMessage || b.callsPerMessage - a.callsPerMessage);
}
