/** Section 9 of BENCHMARKS.md: Redis commands, network bytes and CPU per message on each main path (scenario redis-cost). */
import { n0, n1, n2, stampLine, table, type Stamp } from './report-format.js';
import type { RedisCostResult } from './scenarios/redis-cost.js';
import { FANOUT } from './scenarios/senders-loads.js';

export function renderRedisCost(r: RedisCostResult & Stamp): string {
  const rows = r.paths.map((p) => [
    p.name,
    n1(p.redis.commandsPerMessage) + (p.deliveryShare ? ` (delivery ≈ ${n1(p.deliveryShare.commandsPerMessage)})` : ''),
    n0(p.redis.netInBytesPerMessage) + (p.deliveryShare ? ` (${n0(p.deliveryShare.netInBytesPerMessage)})` : ''),
    n0(p.redis.netOutBytesPerMessage) + (p.deliveryShare ? ` (${n0(p.deliveryShare.netOutBytesPerMessage)})` : ''),
    n2(p.cpuMsPerMessage.listener),
    n2(p.cpuMsPerMessage.delivery),
    n2(p.cpuMsPerMessage['redis-server']),
    `${n0(p.delivered)}/${n0(p.expected)}`,
  ]);
  const top = r.paths.map((p) => `- ${p.name}: ${p.redis.byCommand.slice(0, 10).map((c) => `${c.command} ${n1(c.callsPerMessage)}`).join(', ')}`);
  return [
    '## 9. Redis per message on the main paths',
    '',
    stampLine(r),
    '',
    `\`pnpm bench --scenario redis-cost\`: our listener and delivery as separate processes on one private Redis (appendfsync ${r.fsync}), ${n0(r.size)} B payload, delivery to smtp-sink. Commands from INFO commandstats deltas (commands run inside Lua scripts counted as well; the bench's own INFO left out), bytes from total_net_input_bytes / total_net_output_bytes (Redis's view: "in" is what clients sent). Accept paths run the listener alone; backlog delivery paths start delivery once everything is queued; trickle paths run both while mail arrives at ${r.tricklePerSecond} msg/s, and the figure in brackets is the total minus the accept path of the same mail. Fan-out figures are per message (each message is ${FANOUT.domains} deliveries). Idle, both roles with nothing to do: ${n1(r.idleCommandsPerSecond)} commands/s (${(r.idleByCommand ?? []).slice(0, 8).map((c) => `${c.command} ${n1(c.perSecond)}`).join(', ')}).`,
    '',
    table(['path', 'commands / msg', 'bytes in / msg', 'bytes out / msg', 'listener CPU ms / msg', 'delivery CPU ms / msg', 'redis CPU ms / msg', 'delivered'], rows),
    '',
    'Commands per message by name (most first):',
    '',
    ...top,
  ].join('\n');
}
