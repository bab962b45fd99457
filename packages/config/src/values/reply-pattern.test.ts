import { describe, expect, it } from 'vitest';
import { parseValue, ValueError, type ReplyPattern } from './index.js';

const VALID =
  'mode=backoff, mode=normal, skip-mx, bounce-queue, bounce-rcpt, disable-source-ip, reenable-after=INTERVAL, defer-queue';

describe('reply-pattern', () => {
  it.each<[string, ReplyPattern]>([
    ['/^421 .* too many/ mode=backoff', { regex: { source: '^421 .* too many', flags: 'i' }, actions: [{ action: 'mode', value: 'backoff' }] }],
    [
      '/(?-i)^5\\d\\d Blocked/ bounce-queue, disable-source-ip reenable-after=1h',
      {
        regex: { source: '^5\\d\\d Blocked', flags: '' },
        actions: [
          { action: 'bounce-queue' },
          { action: 'disable-source-ip' },
          { action: 'reenable-after', value: 3_600_000 },
        ],
      },
    ],
    [
      '/a\\/b/ skip-mx,bounce-rcpt,defer-queue,MODE=Normal',
      {
        regex: { source: 'a\\/b', flags: 'i' },
        actions: [{ action: 'skip-mx' }, { action: 'bounce-rcpt' }, { action: 'defer-queue' }, { action: 'mode', value: 'normal' }],
      },
    ],
    ['/x/,skip-mx', { regex: { source: 'x', flags: 'i' }, actions: [{ action: 'skip-mx' }] }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('reply-pattern', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['/x/ explode', `"/x/ explode" is not a REPLY-PATTERN: unknown action "explode" (expected /REGEX/ followed by actions separated by spaces or commas: ${VALID})`],
    ['/x/', 'no action given'],
    ['/x/ mode=fast', '"mode=fast": mode must be backoff or normal'],
    ['/x/ reenable-after', '"reenable-after": reenable-after needs =INTERVAL'],
    ['/x/ reenable-after=soon', '"reenable-after=soon": "soon" is not a time interval like 30m or 1h'],
    ['/x/ skip-mx=yes', '"skip-mx=yes": skip-mx takes no value'],
    ['/x/i skip-mx', 'unexpected "i" right after the closing "/"'],
    ['421 mode=backoff', 'it must start with a /REGEX/'],
    ['/421 mode=backoff', 'the regex has no closing "/"'],
    ['/a(/ skip-mx', '"/a(/" is not a REGEX: Unterminated group'],
    ['/x/ mode=backoff mode=normal', 'mode=backoff and mode=normal cannot be in one rule'],
    ['/x/ skip-mx bounce-queue', 'skip-mx and bounce-queue cannot be in one rule'],
    ['/x/ reenable-after=1h', 'reenable-after needs disable-source-ip in the same rule'],
    ['/x/ disable-source-ip reenable-after=1h reenable-after=2h', 'reenable-after is given twice'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('reply-pattern', raw)).toThrow(ValueError);
    expect(() => parseValue('reply-pattern', raw)).toThrow(message);
  });
});
