/**
 * The processors' delivery options end to end, over real SMTP to a real receiver: with
 * `forward-unmatched-to`, mail to the FBL address that is not a report is forwarded there; with
 * `forward-errors-to`, a report the processor cannot read (no Feedback-Type) is forwarded there; with
 * `deliver-matched-email yes`, a report is processed (f record) and delivered to its own recipient too.
 * The forwarded message keeps its body and envelope sender; a processor without the options forwards
 * nothing.
 */
import { loadConfigText } from '@vmta/config';
import { startDelivery } from '@vmta/delivery';
import { startReceiver } from '@vmta/delivery/testing';
import { RawSmtp, sendRaw, startTestListener } from '@vmta/listener/testing';
import { createRedis, Keys } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';

function arf(feedbackType: string | undefined, marker: string): string {
  return [
    'From: fbl@isp.example', 'To: abuse@fbl.example', `Subject: complaint ${marker}`, 'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="b1"', '',
    '--b1', 'Content-Type: text/plain', '', 'A complaint.', '',
    '--b1', 'Content-Type: message/feedback-report', '',
    ...(feedbackType ? [`Feedback-Type: ${feedbackType}`] : []), 'User-Agent: ISP-FBL/2.0', 'Version: 1', 'Original-Mail-From: <sender@client.example>', 'Original-Rcpt-To: <user@isp.example>', '',
    '--b1', 'Content-Type: message/rfc822', '', 'From: sender@client.example', 'To: user@isp.example', 'Subject: offer', '', 'Buy now.', '',
    '--b1--', '',
  ].join('\r\n');
}

const dotted = (text: string) => `${text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.\r\n`;

describe('processor delivery options', () => {
  it('forwards unmatched mail and unreadable reports, and delivers processed reports when told to', { timeout: 90_000 }, async () => {
    const t = await getTestRedis();
    const receiver = await startReceiver({ host: '127.0.0.61', startTls: false });
    const text = [
      'host-name mx.fwd.example',
      'event-stream yes',
      'smtp-listener 127.0.0.63:0',
      '<feedback-loop-processor>',
      '  address abuse@fbl.example',
      '  deliver-matched-email yes',
      '  forward-unmatched-to ops@ours.example',
      '  forward-errors-to errors@ours.example',
      '</feedback-loop-processor>',
      '<bounce-processor>',
      '  address bounces@ours.example',
      '</bounce-processor>',
      '<source 0/0>',
      '  default-virtual-mta mta1',
      '</source>',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.62 mta1.fwd.example',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts [127.0.0.61]:${receiver.port}`,
      '  retry-after 1h',
      '</domain>',
    ].join('\n');
    const prefix = t.prefix.slice(0, -1);
    const listener = await startTestListener(t, text);
    const delivery = await startDelivery({ config: loadConfigText(text), redisUrl: t.url, prefix, concurrency: 4 });
    const redis = createRedis(t.url, 'cli');
    const send = async (from: string, to: string, body: string): Promise<string> => {
      const c = await RawSmtp.connect(listener.port(), listener.host());
      await c.read();
      await c.command('EHLO isp.example');
      const r = await sendRaw(c, from, [to], dotted(body));
      c.close();
      return r.text;
    };
    try {
      expect(await send('person@isp.example', 'abuse@fbl.example', 'From: person@isp.example\r\nSubject: hello M1\r\n\r\nNot a report.\r\n')).toMatch(/^250 .*kept \(not a report\); queued as /);
      expect(await send('fbl@isp.example', 'abuse@fbl.example', arf(undefined, 'M2'))).toMatch(/^250 .*kept \(not a report\); queued as /);
      expect(await send('fbl@isp.example', 'abuse@fbl.example', arf('abuse', 'M3'))).toMatch(/^250 .*report processed \(1 records\); queued as /);
      // No options in the bounce processor: kept, nothing queued.
      expect(await send('x@isp.example', 'bounces@ours.example', 'Subject: hello M4\r\n\r\nNot a bounce.\r\n')).toMatch(/^250 .*kept \(not a report\)$/);

      const to = (marker: string) => receiver.messages.filter((m) => m.body.includes(`Subject: ${marker.startsWith('M1') ? 'hello' : 'complaint'} ${marker}`));
      await expect.poll(() => receiver.messages.length, { timeout: 45_000 }).toBe(3);
      expect(to('M1').map((m) => [m.from, m.to])).toEqual([['person@isp.example', ['ops@ours.example']]]);
      expect(to('M1')[0]!.body).toContain('Not a report.');
      expect(to('M2').map((m) => [m.from, m.to])).toEqual([['fbl@isp.example', ['errors@ours.example']]]);
      expect(to('M3').map((m) => [m.from, m.to])).toEqual([['fbl@isp.example', ['abuse@fbl.example']]]);
      expect(receiver.messages.some((m) => m.body.includes('M4'))).toBe(false);

      const types = (await redis.xrange(new Keys(prefix).accounting(), '-', '+')).map(([, f]) => f[f.indexOf('type') + 1]);
      expect(types.filter((x) => x === 'f')).toHaveLength(1);
    } finally {
      redis.disconnect();
      await delivery.close();
      await listener.close();
      await receiver.close();
    }
  });
});
