/** The pure parts of HTTP injection, by table: status of SMTP refusals, field paths, substitutions, recipient groups. */
import { describe, expect, it } from 'vitest';
import { replies } from '../policy/index.js';
import { composeMessages, recipientGroups } from './compose.js';
import { fromReply, statusOfReply } from './inject-error.js';
import { parseInjectRequest, substitute } from './inject-request.js';
import { crlfMessage } from './inject-server.js';

describe('statusOfReply', () => {
  it.each([
    [replies.messageTooBig(10), 413],
    [replies.queueUnavailable(), 503],
    [replies.authRateLimited(), 429],
    [replies.recipientSuppressed('a@b.example'), 422],
    [replies.mailLoop(30), 422],
    [replies.tooManyRecipients(), 400],
  ])('%s → %i', (reply, status) => {
    expect(statusOfReply(reply)).toBe(status);
  });

  it('gives a Retry-After only to 503', () => {
    expect(fromReply(replies.queueUnavailable()).headers).toEqual({ 'retry-after': '60' });
    expect(fromReply(replies.messageTooBig(10)).headers).toEqual({});
    expect(fromReply(replies.messageTooBig(10)).code).toBe('message-too-big');
  });
});

describe('parseInjectRequest names the field', () => {
  const base = { from: 's@x.example', recipients: [{ email: 'a@b.example' }], text: 't' };
  it.each<[string, unknown, string | undefined]>([
    ['a top-level field missing', { recipients: base.recipients, text: 't' }, 'from'],
    ['a nested field missing', { ...base, recipients: [{ email: 'a@b.example' }, { name: 'x' }] }, 'recipients[1].email'],
    ['a substitution of the wrong type', { ...base, recipients: [{ email: 'a@b.example', substitutions: { n: 1 } }] }, 'recipients[0].substitutions.n'],
    ['an unknown nested field', { ...base, attachments: [{ filename: 'a', content: '', size: 1 }] }, 'attachments[0].size'],
    ['bad base64', { ...base, attachments: [{ filename: 'a', content: '**' }] }, 'attachments[0].content'],
    ['a header name with a colon', { ...base, headers: { 'X-A:B': 'v' } }, 'headers.X-A:B'],
    ['a header value with a line break', { ...base, headers: { 'X-A': 'v\r\nBcc: x' } }, 'headers.X-A'],
    ['a body that is no object', ['x'], undefined],
  ])('%s', (_what, body, field) => {
    let error: { status?: number; field?: string } | undefined;
    try {
      parseInjectRequest(Buffer.from(JSON.stringify(body)));
    } catch (err) {
      error = err as { status: number; field?: string };
    }
    expect(error?.status).toBe(400);
    expect(error?.field).toBe(field);
  });
});

describe('parseInjectRequest on bytes that are not UTF-8', () => {
  it('refuses the body 400 invalid-json (an address would be queued with U+FFFD in it)', () => {
    const body = Buffer.concat([Buffer.from('{"from":"s@x.example","recipients":[{"email":"a'), Buffer.from([0xff]), Buffer.from('@b.example"}],"text":"t"}')]);
    expect(() => parseInjectRequest(body)).toThrow(expect.objectContaining({ status: 400, code: 'invalid-json' }));
    expect(parseInjectRequest(Buffer.from('{"from":"s@x.example","recipients":[{"email":"jürgen@b.example"}],"text":"t"}')).recipients[0]!.email).toBe('jürgen@b.example');
  });
});

describe('substitute', () => {
  it.each([
    ['Hi {{name}}', { name: 'Ann' }, 'Hi Ann'],
    ['Hi {{ name }} {{name}}', { name: 'Ann' }, 'Hi Ann Ann'],
    ['Hi {{other}}', { name: 'Ann' }, 'Hi {{other}}'],
    ['Hi {{name}}', undefined, 'Hi {{name}}'],
    ['{{toString}}', {}, '{{toString}}'],
  ])('%s with %j → %s', (template, values, out) => {
    expect(substitute(template, values)).toBe(out);
  });
});

describe('substitutions that multiply', () => {
  it('are refused 413 naming the field once the result passes the limit, before it is built (a million {{a}} of 400 bytes)', () => {
    let error: { status?: number; code?: string; field?: string } | undefined;
    try {
      substitute('{{a}}'.repeat(1_000_000), { a: 'x'.repeat(400) }, 20_000, 'text');
    } catch (err) {
      error = err as typeof error;
    }
    expect(error).toMatchObject({ status: 413, code: 'message-too-big', field: 'text' });
    expect(substitute('{{a}}'.repeat(50), { a: 'x'.repeat(400) }, 20_000, 'text')).toHaveLength(20_000);
  });

  it('are composed one message at a time: the first is there before the next is built (and refused)', async () => {
    const messages = composeMessages(
      {
        from: 's@sender.example',
        recipients: [{ email: 'a@dest.example', substitutions: { a: 'small' } }, { email: 'b@dest.example', substitutions: { a: 'x'.repeat(400) } }],
        text: '{{a}}'.repeat(100),
      },
      20_000,
    );
    const first = await messages.next();
    expect(first.done ? undefined : first.value.recipients.map((r) => r.email)).toEqual(['a@dest.example']);
    await expect(messages.next()).rejects.toMatchObject({ status: 413, field: 'text' });
  });
});

describe('recipientGroups', () => {
  it('puts plain recipients together first, each substituted recipient alone', () => {
    const a = { email: 'a@x' };
    const b = { email: 'b@x', substitutions: {} };
    const c = { email: 'c@x' };
    expect(recipientGroups([a, b, c])).toEqual([[a, c], [b]]);
    expect(recipientGroups([b])).toEqual([[b]]);
  });
});

describe('crlfMessage', () => {
  it.each([
    ['a\nb\n', 'a\r\nb\r\n'],
    ['a\r\nb\r\n', 'a\r\nb\r\n'],
    ['a\r\nb\n', 'a\r\nb\n'],
  ])('%j → %j', (input, out) => {
    expect(crlfMessage(Buffer.from(input)).toString()).toBe(out);
  });
});
