import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export function tempDir(name = 'relayq'): string {
  return mkdtempSync(join(tmpdir(), `${name}-`));
}

/** The prompt text of the n-th test prompt: distinct per n, so answers can be matched to prompts. */
export function promptText(n: number): string {
  return `Test prompt number ${n}: name three things that are ${n % 7} metres long.`;
}

export function anthropicBatchLine(customId: string, text: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    custom_id: customId,
    params: { model: 'claude-test', max_tokens: 200, messages: [{ role: 'user', content: text }], ...extra },
  });
}

export function writePromptFile(dir: string, lines: string[], name = 'prompts.jsonl'): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export function writeConfig(dir: string, config: unknown, name = 'relayq.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(config));
  return file;
}
