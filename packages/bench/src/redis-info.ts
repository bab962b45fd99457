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

/** What Redis served between two INFO readings: commands by name (the bench's own INFO/CONFIG/SLOWLOG left out) and network bytes. */
export interface RedisSnapshot {
  commands: Record<string, CommandStat>;
  netInputBytes: number;
  netOutputBytes: number;
}

const OWN_COMMANDS = new Set(['info', 'config|resetstat', 'config', 'slowlog', 'slowlog|get', 'slowlog|reset', 'client|list']);

export function snapshotFromInfo(text: string): RedisSnapshot {
  const info = parseInfo(text);
  return {
    commands: parseCommandStats(text),
    netInputBytes: Number(info.total_net_input_bytes ?? 0),
    netOutputBytes: Number(info.total_net_output_bytes ?? 0),
  };
}

export interface RedisCost {
  messages: number;
  commandsPerMessage: number;
  netInBytesPerMessage: number;
  netOutBytesPerMessage: number;
  /** Per command name, most calls first. */
  byCommand: Array<{ command: string; callsPerMessage: number }>;
}

/** The difference of two snapshots, per message. */
export function costBetween(before: RedisSnapshot, after: RedisSnapshot, messages: number): RedisCost {
  const byCommand: RedisCost['byCommand'] = [];
  for (const [command, s] of Object.entries(after.commands)) {
    if (OWN_COMMANDS.has(command)) continue;
    const calls = s.calls - (before.commands[command]?.calls ?? 0);
    if (calls > 0) byCommand.push({ command, callsPerMessage: calls / messages });
  }
  byCommand.sort((a, b) => b.callsPerMessage - a.callsPerMessage || a.command.localeCompare(b.command));
  return {
    messages,
    commandsPerMessage: byCommand.reduce((s, c) => s + c.callsPerMessage, 0),
    netInBytesPerMessage: (after.netInputBytes - before.netInputBytes) / messages,
    netOutBytesPerMessage: (after.netOutputBytes - before.netOutputBytes) / messages,
    byCommand,
  };
}
