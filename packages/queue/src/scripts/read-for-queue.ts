/**
 * readForQueue: what a delivery of one queue needs of a message, in one call: the meta hash, only
 * the recipients of that queue and, unless the caller has it already, the stored body. A message
 * with recipients in several queues lists each queue's recipient indices in its meta hash (field
 * `q:<queue>`, written by the enqueue); without any such field (one queue) every recipient is read.
 * A fan-out message of 50 recipients over 10 domains is then read as 5 recipients per delivery,
 * not 50. Read-only. A step that ever moves a recipient to another queue must rewrite these fields
 * (or delete every `q:` field of the message, and reads fall back to all recipients).
 *
 * KEYS: 1 meta, 2 rcpts, 3 body.
 * ARGV: 1 the meta field of the queue (`q:<queue>`), 2 '1' to return the body, '0' not to.
 * Returns: { meta field/value list (empty when the message is gone), recipient JSON list, body or false }
 *          (the Buffer variant of the command: every string comes back as bytes).
 */
import { SLICE } from './constants.js';
import { defineScript } from './script.js';

const lua = `
local meta = redis.call('HGETALL', KEYS[1])
if #meta == 0 then return { meta, {}, false } end
local indices = redis.call('HGET', KEYS[1], ARGV[1])
local rcpts
if indices then
  local fields = {}
  for i in string.gmatch(indices, '[^,]+') do fields[#fields + 1] = i end
  rcpts = {}
  -- Lua's unpack fails past a few thousand values: long lists go to Redis in slices.
  for s = 1, #fields, ${SLICE} do
    for _, v in ipairs(redis.call('HMGET', KEYS[2], unpack(fields, s, math.min(s + ${SLICE} - 1, #fields)))) do
      if v then rcpts[#rcpts + 1] = v end
    end
  end
else
  -- No field of this queue: a message in one queue (every recipient is its), or none of its recipients is here.
  local multi = false
  for i = 1, #meta, 2 do
    if string.sub(meta[i], 1, 2) == 'q:' then multi = true break end
  end
  rcpts = multi and {} or redis.call('HVALS', KEYS[2])
end
local body = false
if ARGV[2] == '1' then body = redis.call('GET', KEYS[3]) end
return { meta, rcpts, body }`;

export interface ReadForQueueKeys {
  meta: string;
  rcpts: string;
  body: string;
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

export const readForQueue = defineScript({
  name: 'vmtaReadForQueue',
  numberOfKeys: 3,
  buffers: true,
  lua,
  args: (k: ReadForQueueKeys, queue: string, withBody: boolean) => [k.meta, k.rcpts, k.body, queueRecipientsField(queue), withBody ? '1' : '0'],
  reply: (raw): ReadForQueueReply => {
    const [flat, rcpts, body] = raw as [Buffer[], Buffer[], Buffer | null];
    const meta: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) meta[flat[i]!.toString()] = flat[i + 1]!.toString();
    return { meta, recipients: rcpts.map((r) => r.toString()), body: body ?? undefined };
  },
});
