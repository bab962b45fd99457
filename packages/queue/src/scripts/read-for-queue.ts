/**
 * readForQueue: what a delivery of one queue needs of a claimed batch of messages, in one call: per
 * message the meta hash, only the recipients of that queue and, unless the caller has it already, the
 * stored body. A message with recipients in several queues lists each queue's recipient indices in its
 * meta hash (field `q:<queue>`, written by the enqueue); without any such field (one queue) every
 * recipient is read. A fan-out message of 50 recipients over 10 domains is then read as 5 recipients
 * per delivery, not 50. Read-only. A step that ever moves a recipient to another queue must rewrite
 * these fields (or delete every `q:` field of the message, and reads fall back to all recipients).
 *
 * One script call for the whole batch (a claimed share, a few dozen messages) instead of one call per
 * message in a pipeline: Redis parses and runs one command, ioredis sends and parses one. Its keys are
 * those of several messages, so on a Redis Cluster (keys of different messages in different slots) it
 * would have to go back to a call per message (docs/design/scale-out.md).
 *
 * KEYS: per message: meta, rcpts, body.
 * ARGV: 1 the meta field of the queue (`q:<queue>`), then per message '1' to return the body, '0' not to.
 * Returns: per message { meta field/value list (empty when the message is gone), recipient JSON list,
 *          body or false } (the Buffer variant of the command: every string comes back as bytes).
 */
import { SLICE } from './constants.js';
import { defineScript, type RedisArg } from './script.js';

const lua = `
local out = {}
for m = 1, #ARGV - 1 do
  local kMeta, kRcpts, kBody = KEYS[m * 3 - 2], KEYS[m * 3 - 1], KEYS[m * 3]
  local meta = redis.call('HGETALL', kMeta)
  if #meta == 0 then
    out[m] = { meta, {}, false }
  else
    local indices = redis.call('HGET', kMeta, ARGV[1])
    local rcpts
    if indices then
      local fields = {}
      for i in string.gmatch(indices, '[^,]+') do fields[#fields + 1] = i end
      rcpts = {}
      -- Lua's unpack fails past a few thousand values: long lists go to Redis in slices.
      for s = 1, #fields, ${SLICE} do
        for _, v in ipairs(redis.call('HMGET', kRcpts, unpack(fields, s, math.min(s + ${SLICE} - 1, #fields)))) do
          if v then rcpts[#rcpts + 1] = v end
        end
      end
    else
      -- No field of this queue: a message in one queue (every recipient is its), or none of its recipients is here.
      local multi = false
      for i = 1, #meta, 2 do
        if string.sub(meta[i], 1, 2) == 'q:' then multi = true break end
      end
      rcpts = multi and {} or redis.call('HVALS', kRcpts)
    end
    local body = false
    if ARGV[m + 1] == '1' then body = redis.call('GET', kBody) end
    out[m] = { meta, rcpts, body }
  end
end
return out`;

export interface ReadForQueueKeys {
  meta: string;
  rcpts: string;
  body: string;
}

/** One message of the batch to read: its keys, and whether to return its body. */
export interface ReadForQueueMessage {
  keys: ReadForQueueKeys;
  withBody: boolean;
}

export interface ReadForQueueReply {
  meta: Record<string, string>;
  recipients: string[];
  /** The stored (possibly deflated) body; undefined when not asked for or gone. */
  body: Buffer | undefined;
}

/** The meta field listing a queue's recipient indices (comma-separated) of a message in several queues. */
export function queueRecipientsField(queue: string): string {
  return `q:${queue}`;
}

function readOne(raw: unknown): ReadForQueueReply {
  const [flat, rcpts, body] = raw as [Buffer[], Buffer[], Buffer | null];
  const meta: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) meta[flat[i]!.toString()] = flat[i + 1]!.toString();
  return { meta, recipients: rcpts.map((r) => r.toString()), body: body ?? undefined };
}

export const readForQueue = defineScript({
  name: 'vmtaReadForQueue',
  buffers: true,
  lua,
  args: (messages: readonly ReadForQueueMessage[], queue: string): RedisArg[] => [
    messages.length * 3,
    ...messages.flatMap((m) => [m.keys.meta, m.keys.rcpts, m.keys.body]),
    queueRecipientsField(queue),
    ...messages.map((m) => (m.withBody ? '1' : '0')),
  ],
  reply: (raw): ReadForQueueReply[] => (raw as unknown[]).map(readOne),
});
