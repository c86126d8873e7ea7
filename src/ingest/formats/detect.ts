/**
 * Which batch file format a file is in, told from its first line: relayq's own lines, the OpenAI
 * Batch API's, Anthropic Message Batches', or the Gemini Batch API's.
 */
export const inputFormats = ['native', 'openai-batch', 'anthropic-batch', 'gemini-batch'] as const;
export type InputFormat = (typeof inputFormats)[number];

export function detectInputFormat(line: Record<string, unknown>): InputFormat | null {
  if ('url' in line || 'method' in line) return 'openai-batch';
  if ('params' in line) return 'anthropic-batch';
  if ('key' in line && 'request' in line) return 'gemini-batch';
  if ('body' in line) return 'native';
  return null;
}

/** How a person would name a file of this format. */
export const inputFormatNames: Readonly<Record<InputFormat, string>> = {
  native: 'relayq lines ({"custom_id", "body"})',
  'openai-batch': 'OpenAI Batch ({"custom_id", "method", "url", "body"})',
  'anthropic-batch': 'Anthropic Message Batches ({"custom_id", "params"})',
  'gemini-batch': 'Gemini Batch ({"key", "request"})',
};
