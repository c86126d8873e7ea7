/**
 * Deterministic answers and token counts. Tests compute the answer they expect with the same
 * functions, so they must stay pure functions of the request.
 */
import { createHash } from 'node:crypto';
import { parseDirectives } from './directives.ts';

/** The simulator's token count: one token per 4 characters, at least 1. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The text of the last user message of an Anthropic Messages body: a string, or its text blocks joined with "\n". */
export function promptTextOf(body: unknown): string {
  if (!isRecord(body) || !Array.isArray(body.messages)) return '';
  const messages: unknown[] = body.messages;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (!isRecord(message) || message.role !== 'user') continue;
    return contentText(message.content);
  }
  return '';
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const block of content as unknown[]) {
    if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
  }
  return texts.join('\n');
}

/**
 * Input tokens of an Anthropic Messages body: countTokens of JSON.stringify(system) (when
 * present) followed by JSON.stringify(messages).
 */
export function inputTokensOf(body: unknown): number {
  if (!isRecord(body)) return countTokens('');
  const system = body.system === undefined ? '' : (JSON.stringify(body.system) ?? '');
  const messages = body.messages === undefined ? '' : (JSON.stringify(body.messages) ?? '');
  return countTokens(system + messages);
}

/**
 * The full answer to a prompt: "Answer <12 hex of sha256(prompt)>: <first 8 words or (empty)>",
 * then "w1 w2 ... wN" when the prompt carries `[[sim:words=N]]`. Throws a DirectiveError for a
 * malformed directive.
 */
export function simulatedAnswer(promptText: string): string {
  const hash = createHash('sha256').update(promptText).digest('hex').slice(0, 12);
  const words: string[] = [];
  const wordPattern = /\S+/g;
  let match: RegExpExecArray | null;
  while (words.length < 8 && (match = wordPattern.exec(promptText)) !== null) words.push(match[0]);
  let answer = `Answer ${hash}: ${words.length > 0 ? words.join(' ') : '(empty)'}`;
  const filler = parseDirectives(promptText).words ?? 0;
  if (filler > 0) answer += fillerWords(filler);
  return answer;
}

/** " w1 w2 ... wN" */
function fillerWords(count: number): string {
  const parts = new Array<string>(count);
  for (let index = 0; index < count; index += 1) parts[index] = `w${index + 1}`;
  return ` ${parts.join(' ')}`;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence';

export interface ComposedAnswer {
  text: string;
  stopReason: StopReason;
  stopSequence: string | null;
  outputTokens: number;
}

/**
 * The answer as a request with these limits receives it: cut before the first stop sequence
 * that occurs, or truncated to the longest prefix of whole words within `maxTokens`, whichever
 * generation would reach first.
 */
export function composeAnswer(fullAnswer: string, maxTokens: number, stopSequences: readonly string[] | undefined): ComposedAnswer {
  if (stopSequences !== undefined && stopSequences.length > 0) {
    let at = -1;
    let found: string | null = null;
    for (const sequence of stopSequences) {
      if (sequence === '') continue;
      const index = fullAnswer.indexOf(sequence);
      if (index >= 0 && (at < 0 || index < at)) {
        at = index;
        found = sequence;
      }
    }
    if (found !== null) {
      const text = fullAnswer.slice(0, at);
      const outputTokens = countTokens(text);
      if (outputTokens <= maxTokens) {
        return { text, stopReason: 'stop_sequence', stopSequence: found, outputTokens };
      }
    }
  }
  const outputTokens = countTokens(fullAnswer);
  if (outputTokens <= maxTokens) {
    return { text: fullAnswer, stopReason: 'end_turn', stopSequence: null, outputTokens };
  }
  const text = truncateToTokens(fullAnswer, maxTokens);
  return { text, stopReason: 'max_tokens', stopSequence: null, outputTokens: countTokens(text) };
}

/**
 * The longest prefix of whole (space-separated) words whose countTokens is within `maxTokens`.
 * countTokens grows with length, so that is the longest word prefix of at most 4 × maxTokens
 * characters.
 */
export function truncateToTokens(text: string, maxTokens: number): string {
  const maxChars = Math.max(0, Math.floor(maxTokens)) * 4;
  if (text.length <= maxChars) return text;
  if (text[maxChars] === ' ') return text.slice(0, maxChars);
  const space = text.lastIndexOf(' ', maxChars);
  return space <= 0 ? '' : text.slice(0, space);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Dimensions of a simulated embedding. */
export const SIMULATED_EMBEDDING_DIMENSIONS = 8;

/**
 * The embedding of a text: 8 floats in [-1, 1], each from two bytes of sha256(text), rounded to
 * 6 decimals (so they survive JSON unchanged).
 */
export function simulatedEmbedding(text: string): number[] {
  const digest = createHash('sha256').update(text).digest();
  const values: number[] = [];
  for (let index = 0; index < SIMULATED_EMBEDDING_DIMENSIONS; index += 1) {
    values.push(Number((digest.readUInt16BE(index * 2) / 32767.5 - 1).toFixed(6)));
  }
  return values;
}
