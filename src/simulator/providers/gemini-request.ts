/**
 * Validation of a Gemini GenerateContentRequest body, hand-written (it runs on every request)
 * and answering with messages shaped like Google's ("* GenerateContentRequest.contents: ...").
 * Google's JSON mapping accepts a field by its lowerCamel name or its proto (snake_case) name;
 * so does this file.
 */
import { countTokens } from '../answer.ts';

export interface GeminiRequestBody {
  contents: Record<string, unknown>[];
  systemInstruction: unknown;
  /** generationConfig.maxOutputTokens, when set. */
  maxOutputTokens: number | undefined;
  /** generationConfig.stopSequences, when set. */
  stopSequences: string[] | undefined;
}

/** Top-level fields of GenerateContentRequest (Google AI and Vertex AI), both spellings. */
const requestFields: ReadonlySet<string> = new Set([
  'model',
  'contents',
  'systemInstruction',
  'system_instruction',
  'generationConfig',
  'generation_config',
  'tools',
  'toolConfig',
  'tool_config',
  'safetySettings',
  'safety_settings',
  'cachedContent',
  'cached_content',
  'labels',
]);

const prefix = '* GenerateContentRequest';

function unknownName(name: string): string {
  return `Invalid JSON payload received. Unknown name "${name}": Cannot find field.`;
}

/** Checks a parsed body. Returns what the simulator needs from it, or the message for a 400. */
export function validateGenerateContentBody(body: unknown): GeminiRequestBody | string {
  if (!isRecord(body)) return 'Invalid JSON payload received. Expected an object.';
  for (const field in body) {
    if (!requestFields.has(field)) return unknownName(field);
  }
  const contents = body.contents;
  if (contents === undefined) return `${prefix}.contents: contents is not specified\n`;
  if (!Array.isArray(contents)) return `Invalid value at 'contents': expected a list of Content`;
  if (contents.length === 0) return `${prefix}.contents: contents is not specified\n`;
  for (let index = 0; index < contents.length; index += 1) {
    const problem = checkContent(contents[index], `contents[${index}]`);
    if (problem !== undefined) return problem;
  }
  const system = body.systemInstruction ?? body.system_instruction;
  if (system !== undefined) {
    const problem = checkContent(system, 'system_instruction', true);
    if (problem !== undefined) return problem;
  }
  const config = body.generationConfig ?? body.generation_config;
  let maxOutputTokens: number | undefined;
  let stopSequences: string[] | undefined;
  if (config !== undefined) {
    if (!isRecord(config)) return `Invalid value at 'generation_config': expected a GenerationConfig object`;
    const max = config.maxOutputTokens ?? config.max_output_tokens;
    if (max !== undefined) {
      if (typeof max !== 'number' || !Number.isInteger(max)) {
        return `Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32), ${JSON.stringify(max)}`;
      }
      if (max < 1) return `${prefix}.generation_config.max_output_tokens: max_output_tokens must be positive.\n`;
      maxOutputTokens = max;
    }
    const stops = config.stopSequences ?? config.stop_sequences;
    if (stops !== undefined) {
      if (!Array.isArray(stops) || stops.some((stop) => typeof stop !== 'string')) {
        return `Invalid value at 'generation_config.stop_sequences': expected a list of strings`;
      }
      if (stops.length > 5) {
        return `${prefix}.generation_config.stop_sequences: the number of stop sequences must not exceed 5.\n`;
      }
      stopSequences = stops as string[];
    }
    const rangeProblem = checkRange(config, 'temperature', 0, 2) ?? checkRange(config, 'topP', 0, 1) ?? checkRange(config, 'top_p', 0, 1);
    if (rangeProblem !== undefined) return rangeProblem;
  }
  const tools = body.tools;
  if (tools !== undefined && !Array.isArray(tools)) return `Invalid value at 'tools': expected a list of Tool`;
  return { contents: contents as Record<string, unknown>[], systemInstruction: system, maxOutputTokens, stopSequences };
}

function checkContent(content: unknown, path: string, isSystem = false): string | undefined {
  if (!isRecord(content)) return `Invalid value at '${path}': expected a Content object`;
  for (const field in content) {
    if (field !== 'role' && field !== 'parts') return unknownName(`${path}.${field}`);
  }
  const { role, parts } = content;
  if (!isSystem && role !== undefined && role !== 'user' && role !== 'model') {
    return 'Please use a valid role: user, model.';
  }
  if (parts === undefined || (Array.isArray(parts) && parts.length === 0)) {
    return `${prefix}.${path}.parts: contents.parts must not be empty.\n`;
  }
  if (!Array.isArray(parts)) return `Invalid value at '${path}.parts': expected a list of Part`;
  for (let index = 0; index < parts.length; index += 1) {
    const part: unknown = parts[index];
    if (!isRecord(part)) return `Invalid value at '${path}.parts[${index}]': expected a Part object`;
    if (part.text !== undefined && typeof part.text !== 'string') {
      return `Invalid value at '${path}.parts[${index}].text' (TYPE_STRING), ${JSON.stringify(part.text)}`;
    }
  }
  return undefined;
}

function checkRange(config: Record<string, unknown>, field: string, min: number, max: number): string | undefined {
  const value = config[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return `Invalid value at 'generation_config.${field}' (TYPE_FLOAT), ${JSON.stringify(value)}`;
  }
  if (value < min || value > max) {
    return `${prefix}.generation_config.${field}: ${field} must be in the range [${min}, ${max}].\n`;
  }
  return undefined;
}

/**
 * The prompt text: the text parts of the last user content (a content without a role is the
 * user's, as Gemini takes it), joined with "\n".
 */
export function geminiPromptTextOf(contents: readonly unknown[]): string {
  for (let index = contents.length - 1; index >= 0; index -= 1) {
    const content = contents[index];
    if (!isRecord(content) || (content.role !== undefined && content.role !== 'user')) continue;
    if (!Array.isArray(content.parts)) return '';
    const texts: string[] = [];
    for (const part of content.parts as unknown[]) {
      if (isRecord(part) && typeof part.text === 'string' && part.thought !== true) texts.push(part.text);
    }
    return texts.join('\n');
  }
  return '';
}

/**
 * Input tokens, counted as for Anthropic bodies: countTokens of JSON.stringify(systemInstruction)
 * (when present) followed by JSON.stringify(contents).
 */
export function geminiInputTokensOf(body: Pick<GeminiRequestBody, 'contents' | 'systemInstruction'>): number {
  const system = body.systemInstruction === undefined ? '' : (JSON.stringify(body.systemInstruction) ?? '');
  return countTokens(system + JSON.stringify(body.contents));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
