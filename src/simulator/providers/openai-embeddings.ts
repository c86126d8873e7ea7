/**
 * OpenAI's Embeddings API in the simulator (`POST /v1/embeddings`, Azure's
 * `/openai/deployments/{d}/embeddings`): validation of the body and the `{object: "list"}`
 * answer, one deterministic vector (simulatedEmbedding) per input.
 */
import { countTokens, simulatedEmbedding } from '../answer.ts';
import { InvalidBody } from '../pipeline.ts';
import type { OpenAIRequest } from './openai-request.ts';

/**
 * The texts of an `input`: a string, an array of strings, or token arrays (each embedded as its
 * JSON text); undefined when the input is none of these.
 */
function embeddingTexts(input: unknown): { texts: string[]; tokens: number } | undefined {
  if (typeof input === 'string') return { texts: [input], tokens: countTokens(input) };
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((item) => typeof item === 'number')) {
    return { texts: [JSON.stringify(input)], tokens: input.length };
  }
  const texts: string[] = [];
  let tokens = 0;
  for (const item of input as unknown[]) {
    if (typeof item === 'string') {
      texts.push(item);
      tokens += countTokens(item);
    } else if (Array.isArray(item) && item.every((token) => typeof token === 'number')) {
      texts.push(JSON.stringify(item));
      tokens += item.length;
    } else {
      return undefined;
    }
  }
  return { texts, tokens };
}

/** Checks an embeddings body; the request's `embeddingInputs` are the texts to embed. */
export function validateEmbeddings(body: Record<string, unknown>, model: string): OpenAIRequest | InvalidBody {
  const { input } = body;
  if (input === undefined) {
    return new InvalidBody("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  }
  const read = embeddingTexts(input);
  if (read === undefined) {
    return new InvalidBody(
      "Invalid 'input': expected a non-empty string, array of strings, or array of token arrays.",
      'input',
      'invalid_value',
    );
  }
  if (read.texts.some((text) => text === '')) {
    return new InvalidBody("Invalid 'input': empty string.", 'input', 'invalid_value');
  }
  return {
    endpoint: 'embeddings',
    model,
    stream: false,
    embedding: true,
    includeUsage: false,
    maxOutputTokens: 0,
    stopSequences: undefined,
    promptText: read.texts.join('\n'),
    inputTokens: read.tokens,
    instructions: null,
    maxOutputTokensParam: null,
    embeddingInputs: read.texts,
  };
}

/** The answer body: `{object: "list", data: [{object: "embedding", index, embedding}], model, usage}`. */
export function embeddingsJson(request: OpenAIRequest): string {
  const data = (request.embeddingInputs ?? []).map((text, index) => ({
    object: 'embedding',
    index,
    embedding: simulatedEmbedding(text),
  }));
  return JSON.stringify({
    object: 'list',
    data,
    model: request.model,
    usage: { prompt_tokens: request.inputTokens, total_tokens: request.inputTokens },
  });
}
