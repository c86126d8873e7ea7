/** Gemini input lines through relayq's line parser, which checks bodies with geminiRequestSchema. */
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../../src/ingest/parse-line.ts';

const contents = [{ role: 'user', parts: [{ text: 'Hi' }] }];

function line(body: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ custom_id: 'g-1', body, ...extra });
}

describe('gemini input lines', () => {
  it('accepts a native GenerateContentRequest, the provider inferred from the model', () => {
    const result = parseLine(
      line({
        model: 'gemini-2.5-flash',
        contents,
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        generationConfig: { maxOutputTokens: 100, stopSequences: ['END'], temperature: 1.5 },
        safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
        tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object' } }] }],
        toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
      }),
    );
    expect(result).toMatchObject({ ok: true, value: { provider: 'gemini', model: 'gemini-2.5-flash', stream: false } });
  });

  it('takes the model from the line and stream from the body', () => {
    const result = parseLine(line({ contents, stream: true }, { provider: 'gemini', model: 'my-tuned-model' }));
    expect(result).toMatchObject({ ok: true, value: { provider: 'gemini', model: 'my-tuned-model', stream: true } });
    if (result.ok) expect(result.value.body.stream).toBeUndefined();
  });

  it.each([
    ['no contents', { model: 'gemini-2.5-flash' }, 'body.contents'],
    ['empty contents', { model: 'gemini-2.5-flash', contents: [] }, 'at least one content'],
    ['a bad role', { model: 'gemini-2.5-flash', contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, 'body.contents[0].role'],
    ['empty parts', { model: 'gemini-2.5-flash', contents: [{ role: 'user', parts: [] }] }, 'at least one part'],
    [
      'six stop sequences',
      { model: 'gemini-2.5-flash', contents, generationConfig: { stopSequences: ['1', '2', '3', '4', '5', '6'] } },
      'stopSequences',
    ],
    ['a zero maxOutputTokens', { model: 'gemini-2.5-flash', contents, generationConfig: { maxOutputTokens: 0 } }, 'maxOutputTokens'],
  ])('rejects %s', (_what, body, message) => {
    const result = parseLine(line(body));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain('invalid gemini request body');
      expect(result.error).toContain(message);
    }
  });
});
