import { describe, expect, it } from 'vitest';
import { unparsedReportsText } from './unparsed-reports.js';

describe('unparsedReportsText', () => {
  it('says how many are kept when none is shown', () => {
    expect(unparsedReportsText({ kept: 0, reports: [] })).toEqual(['0 kept']);
  });
  it('says when only the newest are shown, and writes the null sender as <>', () => {
    const lines = unparsedReportsText({ kept: 3, reports: [{ id: '5-0', kind: 'fbl', reason: 'no ARF', mailFrom: '', rcpt: 'fbl@x.example', at: '2026-12-03T10:00:00.000Z', bytes: 42, subject: 'hi' }] });
    expect(lines[0]).toBe('3 kept (the newest 1 shown)');
    expect(lines[2]).toMatch(/^5-0 +2026-12-03T10:00:00.000Z +fbl +<> +fbl@x\.example +42 +no ARF +hi$/);
  });
});
