/**
 * The tool side of a Chat Completions body, read once for every target: which function tools
 * go out, how the model may pick among them, and tool-call arguments as objects.
 */
import { TranslationError } from './translation.ts';
import type { FunctionTool, OpenAiChatBody } from './schema.ts';

export interface ToolPlan {
  /** The function tools to declare (custom tools and tools outside `allowed_tools` left out). */
  tools: FunctionTool['function'][];
  /**
   * `auto`: the model chooses; `required`: it must call one of `tools`; `none`: it must not call
   * any; `named`: it must call `name`. Undefined when the body does not say.
   */
  choice: { mode: 'auto' | 'required' | 'none' } | { mode: 'named'; name: string } | undefined;
  /** False when the body asks for at most one tool call per answer. */
  parallel: boolean;
}

export function planTools(chat: OpenAiChatBody, warn: (warning: string) => void): ToolPlan {
  const tools: FunctionTool['function'][] = [];
  (chat.tools ?? []).forEach((tool, index) => {
    if (tool.type === 'function') tools.push((tool as FunctionTool).function);
    else warn(`tools[${index}]: "${tool.type}" tools only run on OpenAI; left out`);
  });

  let choice: ToolPlan['choice'];
  const toolChoice = chat.tool_choice;
  if (typeof toolChoice === 'string') {
    choice = { mode: toolChoice };
  } else if (toolChoice?.type === 'function' && 'function' in toolChoice) {
    choice = { mode: 'named', name: (toolChoice.function as { name: string }).name };
  } else if (toolChoice?.type === 'allowed_tools' && 'allowed_tools' in toolChoice) {
    const allowed = toolChoice.allowed_tools as { mode: 'auto' | 'required'; tools: { function?: { name: string } }[] };
    const names = new Set(allowed.tools.map((tool) => tool.function?.name));
    const kept = tools.filter((tool) => names.has(tool.name));
    tools.length = 0;
    tools.push(...kept);
    choice = { mode: allowed.mode };
  } else if (toolChoice !== undefined) {
    warn(`tool_choice: "${toolChoice.type}" only runs on OpenAI; ignored`);
  }
  return { tools, choice, parallel: chat.parallel_tool_calls !== false };
}

/** A tool call's `arguments` text as the object other providers want. */
export function parseToolArguments(text: string, where: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TranslationError(`${where}: arguments are not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TranslationError(`${where}: arguments must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** The error for the deprecated functions API, which has no translation. */
export function deprecatedFunctionsMessage(where: string): string {
  return `${where}: function_call and "function" messages belong to OpenAI's deprecated functions API, which relayq translates for no other provider; use tool_calls and "tool" messages`;
}
