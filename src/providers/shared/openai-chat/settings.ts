/**
 * Warnings for Chat Completions settings a target provider cannot honour. They go on the
 * prompt's result, so nothing is dropped silently.
 */
import { knownChatFields, type OpenAiChatBody } from './schema.ts';

/** What a target can honour beyond the settings every target has. */
export interface TargetSupport {
  seed: boolean;
  /** presence_penalty and frequency_penalty. */
  penalties: boolean;
}

export function unsupportedSettingWarnings(
  body: OpenAiChatBody,
  /** The target's name as the warnings give it (its provider id). */
  target: string,
  support: TargetSupport,
): string[] {
  const warnings: string[] = [];
  const ignored = (setting: string, reason: string) => warnings.push(`${setting}: ${reason}; ignored`);

  if (body.n != null && body.n > 1) ignored(`n=${body.n}`, `${target} returns one choice per request, so one was produced`);
  if (body.logprobs === true || body.top_logprobs != null) {
    ignored('logprobs', `relayq does not return log probabilities from ${target}`);
  }
  if (!support.penalties) {
    if (body.presence_penalty != null && body.presence_penalty !== 0) {
      ignored(`presence_penalty=${body.presence_penalty}`, `${target} has no presence penalty`);
    }
    if (body.frequency_penalty != null && body.frequency_penalty !== 0) {
      ignored(`frequency_penalty=${body.frequency_penalty}`, `${target} has no frequency penalty`);
    }
  }
  if (!support.seed && body.seed != null) ignored(`seed=${body.seed}`, `${target} has no sampling seed`);
  if (body.logit_bias != null && Object.keys(body.logit_bias).length > 0) {
    ignored('logit_bias', `${target} has no token bias (its token ids differ from OpenAI's)`);
  }
  if (body.reasoning_effort != null) {
    ignored(`reasoning_effort=${body.reasoning_effort}`, `not translated to ${target}'s thinking settings`);
  }
  for (const [field, value] of Object.entries(body)) {
    if (value === undefined || value === null || knownChatFields.has(field)) continue;
    ignored(field, `not a setting relayq translates to ${target}`);
  }
  return warnings;
}
