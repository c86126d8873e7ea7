import { describe, expect, it } from 'vitest';
import { formatReject } from '../../src/cli/commands/submit.ts';
import { renderStatus, type StatusView } from '../../src/cli/commands/status.ts';
import { batchFromRecord } from '../../src/batches/batch-store.ts';
import { escapeForTerminal, truncateText } from '../../src/lib/terminal-text.ts';

describe('escapeForTerminal', () => {
  it('shows control characters escaped and leaves other text alone', () => {
    expect(escapeForTerminal('a\nb\r\tc\u001b[2J\u0000\u007f\u009b')).toBe('a\\nb\\r\\tc\\u001b[2J\\u0000\\u007f\\u009b');
    expect(escapeForTerminal('caf\u00e9 \u{1f600} "quoted"')).toBe('caf\u00e9 \u{1f600} "quoted"');
    expect(escapeForTerminal('abc\u202edcba')).toBe('abc\\u202edcba');
  });
});

describe('truncateText', () => {
  it('cuts long text and says how long it was, never halving a surrogate pair', () => {
    expect(truncateText('short', 10)).toBe('short');
    expect(truncateText('x'.repeat(20), 5)).toBe('xxxxx… (20 characters in all)');
    expect(truncateText('ab\u{1f600}cd', 3)).toBe('ab… (6 characters in all)');
  });
});

describe('rejected lines on the terminal', () => {
  it('a custom_id cannot forge a line or clear the screen', () => {
    const text = formatReject({
      line: 3,
      custom_id: 'x\nline 4: forged\u001b[2J',
      error: 'duplicate custom_id "x\nline 4: forged\u001b[2J" (first used on line 1)',
    });
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('custom_id "x\\nline 4: forged\\u001b[2J"');
  });

  it('keeps the indented lines of a schema error', () => {
    const text = formatReject({ line: 2, custom_id: 'a', error: 'not a valid line:\n  - body: expected object\n  - model: too short' });
    expect(text).toBe('line 2 (custom_id "a"): not a valid line:\n      - body: expected object\n      - model: too short\n');
  });

  it('status shows tags, the file name and rejects escaped', () => {
    const batch = batchFromRecord(
      'batch_x',
      { id: 'batch_x', status: 'in_progress', source: 'a\u001b[2J.jsonl', metadata: JSON.stringify({ team: 'x\ny' }), rejected: '1' },
      0,
    );
    const view: StatusView = {
      batch,
      accounts: {},
      models: [],
      cost: null,
      cost_unknown: null,
      currency: 'USD',
      rate: 0,
      eta_ms: null,
      webhook_events: [],
    };
    const text = renderStatus(view, false, [{ line: 1, error: 'bad \u001b]0;title\u0007' }]);
    // Nothing below U+0020 but the newlines between the status lines.
    expect([...text].filter((char) => char < ' ' && char !== '\n')).toEqual([]);
    expect(text).toContain('a\\u001b[2J.jsonl');
    expect(text).toContain('team=x\\ny');
  });
});
