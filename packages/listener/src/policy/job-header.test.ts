import { loadConfigText, sourcePolicy } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { jobOfMessage } from './job-header.js';

const config = loadConfigText(`
<source 10.0.0.1>
  process-x-job yes
</source>
<source 10.0.0.2>
  process-x-job yes
  retain-x-job yes
</source>
<source 10.0.0.3>
  jobid-header X-Campaign
</source>
<source 10.0.0.4>
  process-x-job yes
  jobid-header X-Campaign
</source>
<source 10.0.0.5>
  process-x-job yes
  jobid-header X-Campaign
  jobid-prefix customer1-
</source>
<source 10.0.0.6>
  process-x-job yes
  jobid-prefix {auth}
</source>
`);

const policy = (ip: string) => sourcePolicy(config, ip).settings;

describe('jobOfMessage', () => {
  it.each([
    ['process-x-job takes X-Job and removes it', '10.0.0.1', 'X-Job: spring-sale\r\n\r\n', { job: 'spring-sale', removeXJob: true }],
    ['the header name in any case, folded value unfolded', '10.0.0.1', 'x-job:\r\n  spring-sale\r\n\r\n', { job: 'spring-sale', removeXJob: true }],
    ['retain-x-job keeps it', '10.0.0.2', 'X-Job: a1\r\n\r\n', { job: 'a1', removeXJob: false }],
    ['without process-x-job X-Job is ignored and stays', '10.0.0.9', 'X-Job: a1\r\n\r\n', { removeXJob: false }],
    ['jobid-header sets the job and stays in the message', '10.0.0.3', 'X-Campaign: c-42\r\nX-Job: a1\r\n\r\n', { job: 'c-42', removeXJob: false }],
    ['X-Job takes precedence over jobid-header', '10.0.0.4', 'X-Campaign: c-42\r\nX-Job: a1\r\n\r\n', { job: 'a1', removeXJob: true }],
    ['jobid-header when X-Job is absent', '10.0.0.4', 'X-Campaign: c-42\r\n\r\n', { job: 'c-42', removeXJob: false }],
    ['an empty X-Job sets no job but is still removed', '10.0.0.1', 'X-Job:\r\n\r\n', { removeXJob: true }],
    ['no header, no job', '10.0.0.1', 'Subject: x\r\n\r\n', { removeXJob: false }],
  ])('%s', (_, ip, header, expected) => {
    expect(jobOfMessage(header, policy(ip))).toEqual(expected);
  });

  it.each([
    ['jobid-prefix goes before the X-Job value', '10.0.0.5', 'X-Job: a1\r\n\r\n', undefined, { job: 'customer1-a1', removeXJob: true }],
    ['and before the jobid-header value', '10.0.0.5', 'X-Campaign: c-42\r\n\r\n', undefined, { job: 'customer1-c-42', removeXJob: false }],
    ['no job, no prefix', '10.0.0.5', 'Subject: x\r\n\r\n', undefined, { removeXJob: false }],
    ['{auth} puts the authenticated user first', '10.0.0.6', 'X-Job: a1\r\n\r\n', 'alice', { job: 'alicea1', removeXJob: true }],
    ['{auth} without AUTH adds nothing', '10.0.0.6', 'X-Job: a1\r\n\r\n', undefined, { job: 'a1', removeXJob: true }],
  ])('%s', (_, ip, header, authUser, expected) => {
    expect(jobOfMessage(header, policy(ip), authUser)).toEqual(expected);
  });

  it.each([
    ['white space inside', 'X-Job: spring sale\r\n\r\n'],
    ['a control character', 'X-Job: a\x01b\r\n\r\n'],
    ['over 200 characters', `X-Job: ${'j'.repeat(201)}\r\n\r\n`],
  ])('refuses a job id with %s (550 5.6.0)', (_, header) => {
    const result = jobOfMessage(header, policy('10.0.0.1'));
    expect('error' in result && [result.error.code, result.error.response]).toEqual(['JOB_ID_INVALID', expect.stringMatching(/^550 5\.6\.0 Invalid job id in X-Job/)]);
  });
});
