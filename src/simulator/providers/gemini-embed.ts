/**
 * Gemini's `:embedContent` in the simulator: validation of an EmbedContentRequest (messages
 * shaped like Google's) and the `{embedding: {values}}` answer, a deterministic vector
 * (simulatedEmbedding of the content's text parts joined with "\n"), cut to
 * `outputDimensionality` when that is smaller. Google reports no usage for embeddings, and
 * neither does the simulator.
 */
import { countTokens, simulatedEmbedding } from '../answer.ts';

export interface GeminiEmbedRequest {
  /** The content's text parts, joined with "\n". */
  text: string;
  inputTokens: number;
  outputDimensionality: number | undefined;
}

const embedFields: ReadonlySet<string> = new Set([
  'model',
  'content',
  'taskType',
  'task_type',
  'title',
  'outputDimensionality',
  'output_dimensionality',
]);

const prefix = '* EmbedContentRequest';

/** Checks a parsed body. Returns the request, or the message for a 400. */
export function validateEmbedContentBody(body: unknown): GeminiEmbedRequest | string {
  if (!isRecord(body)) return 'Invalid JSON payload received. Expected an object.';
  for (const field in body) {
    if (!embedFields.has(field)) return `Invalid JSON payload received. Unknown name "${field}": Cannot find field.`;
  }
  const { content } = body;
  if (content === undefined) return `${prefix}.content: content is not specified\n`;
  if (!isRecord(content)) return `Invalid value at 'content': expected a Content object`;
  const { parts } = content;
  if (!Array.isArray(parts) || parts.length === 0) return `${prefix}.content.parts: content.parts must not be empty.\n`;
  const texts: string[] = [];
  for (let index = 0; index < parts.length; index += 1) {
    const part: unknown = parts[index];
    if (!isRecord(part) || typeof part.text !== 'string') {
      return `Invalid value at 'content.parts[${index}]': only text parts can be embedded`;
    }
    texts.push(part.text);
  }
  const dimensions = body.outputDimensionality ?? body.output_dimensionality;
  if (dimensions !== undefined && (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1)) {
    return `Invalid value at 'output_dimensionality' (TYPE_INT32), ${JSON.stringify(dimensions)}`;
  }
  const text = texts.join('\n');
  return { text, inputTokens: countTokens(text), outputDimensionality: dimensions };
}

/** The answer body: `{embedding: {values}}`. */
export function embedContentJson(request: GeminiEmbedRequest): string {
  const values = simulatedEmbedding(request.text);
  return JSON.stringify({ embedding: { values: values.slice(0, request.outputDimensionality ?? values.length) } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
