import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { composeAnswer, countTokens, inputTokensOf, promptTextOf, simulatedAnswer, truncateToTokens } from '../../src/simulator/answer.ts';
import { parseDirectives } from '../../src/simulator/directives.ts';

const sha12 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

describe('countTokens', () => {
  it('counts a token per 4 characters, at least 1', () => {
    expect(countTokens('')).toBe(1);
    expect(countTokens('abc')).toBe(1);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    expect(countTokens('x'.repeat(400))).toBe(100);
  });
});

describe('promptTextOf', () => {
  it('takes the last user message, string or text blocks', () => {
    expect(promptTextOf({ messages: [{ role: 'user', content: 'hi' }] })).toBe('hi');
    expect(
      promptTextOf({
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'reply' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'image', source: { type: 'url', url: 'http://x' } },
              { type: 'text', text: 'b' },
            ],
          },
          { role: 'assistant', content: 'prefill' },
        ],
      }),
    ).toBe('a\nb');
  });

  it('answers "" for anything else', () => {
    expect(promptTextOf(null)).toBe('');
    expect(promptTextOf({})).toBe('');
    expect(promptTextOf({ messages: [{ role: 'assistant', content: 'x' }] })).toBe('');
  });
});

describe('inputTokensOf', () => {
  it('counts JSON of system then messages', () => {
    const messages = [{ role: 'user', content: 'Hello there' }];
    // [{"role":"user","content":"Hello there"}] is 41 characters: 11 tokens at 4 a token.
    expect(inputTokensOf({ messages })).toBe(11);
    // "Be brief." (11 characters with its quotes) before them: 52 characters, 13 tokens; max_tokens is no input.
    expect(inputTokensOf({ system: 'Be brief.', messages, max_tokens: 5 })).toBe(13);
  });
});

describe('simulatedAnswer', () => {
  it('is the hash and the first 8 words', () => {
    const prompt = '  one two\tthree four five six seven eight nine ten ';
    expect(simulatedAnswer(prompt)).toBe(`Answer ${sha12(prompt)}: one two three four five six seven eight`);
    expect(simulatedAnswer('')).toBe(`Answer ${sha12('')}: (empty)`);
    expect(simulatedAnswer('   ')).toBe(`Answer ${sha12('   ')}: (empty)`);
  });

  it('is deterministic and differs per prompt', () => {
    expect(simulatedAnswer('same prompt')).toBe(simulatedAnswer('same prompt'));
    expect(simulatedAnswer('prompt a')).not.toBe(simulatedAnswer('prompt b'));
  });

  it('appends filler words for [[sim:words=N]]', () => {
    const prompt = 'Write [[sim:words=4]]';
    expect(simulatedAnswer(prompt)).toBe(`Answer ${sha12(prompt)}: Write [[sim:words=4]] w1 w2 w3 w4`);
  });
});

describe('composeAnswer', () => {
  const full = 'Answer 0123456789ab: alpha beta gamma delta';

  it('ends the turn when the answer fits', () => {
    expect(composeAnswer(full, 1000, undefined)).toEqual({
      text: full,
      stopReason: 'end_turn',
      stopSequence: null,
      outputTokens: 11, // 43 characters
    });
  });

  it('truncates to whole words within max_tokens', () => {
    // 5 tokens = 20 characters: "Answer 0123456789ab:" is exactly 20.
    const answer = composeAnswer(full, 5, undefined);
    expect(answer).toEqual({ text: 'Answer 0123456789ab:', stopReason: 'max_tokens', stopSequence: null, outputTokens: 5 });
    expect(composeAnswer(full, 7, undefined).text).toBe('Answer 0123456789ab: alpha');
    expect(composeAnswer(full, 1, undefined)).toMatchObject({ text: '', stopReason: 'max_tokens', outputTokens: 1 });
  });

  it('cuts at the earliest stop sequence, which is left out of the text', () => {
    const answer = composeAnswer(full, 1000, ['delta', 'beta']);
    expect(answer).toEqual({
      text: 'Answer 0123456789ab: alpha ',
      stopReason: 'stop_sequence',
      stopSequence: 'beta',
      outputTokens: 7, // 27 characters
    });
    expect(composeAnswer(full, 1000, ['zeta']).stopReason).toBe('end_turn');
  });

  it('stops at max_tokens when that comes before the stop sequence', () => {
    expect(composeAnswer(full, 5, ['delta'])).toMatchObject({ stopReason: 'max_tokens', stopSequence: null });
  });

  it('truncateToTokens keeps the longest word prefix', () => {
    expect(truncateToTokens('aaaa bbbb cccc', 2)).toBe('aaaa');
    expect(truncateToTokens('aaaa bbb cccc', 2)).toBe('aaaa bbb');
    expect(truncateToTokens('aaaaaaaaaaaa', 2)).toBe('');
  });
});

describe('parseDirectives', () => {
  it('reads fault and words, and rejects typos', () => {
    expect(parseDirectives('plain prompt')).toEqual({});
    expect(parseDirectives('x [[sim:fault=overloaded]] [[sim:words=10]]')).toEqual({ fault: 'overloaded', words: 10 });
    expect(() => parseDirectives('[[sim:fault=overload]]')).toThrow(/unknown fault/);
    expect(() => parseDirectives('[[sim:words=-1]]')).toThrow(/whole number/);
    expect(() => parseDirectives('[[sim:colour=red]]')).toThrow(/unknown directive/);
  });
});
