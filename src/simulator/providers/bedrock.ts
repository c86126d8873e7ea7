/**
 * Bedrock Runtime for Anthropic models: `POST /model/{modelId}/invoke` (JSON) and
 * `/model/{modelId}/invoke-with-response-stream` (AWS event stream), with SigV4 and API key
 * checks, Bedrock's body rules and error shapes, and the same buckets, faults, directives and
 * deterministic answers as the Anthropic API. Keys are access key ids or API keys; stats count
 * them as keys.
 */
import { composeAnswer, inputTokensOf, promptTextOf, simulatedAnswer } from '../answer.ts';
import { DirectiveError, parseDirectives, type Directives } from '../directives.ts';
import type { FaultKind } from '../faults.ts';
import type { ExchangeHandler, SimulatedProvider } from '../runtime.ts';
import { verifyBedrockAuth } from './bedrock-auth.ts';
import { anthropicModelName, validateBedrockBody } from './bedrock-request.ts';
import {
  invokeHeaders,
  sendBedrockError,
  streamBedrockMessage,
  type BedrockErrorType,
} from './bedrock-response.ts';
import { messageJson } from './anthropic-response.ts';

const invokePath = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;

export const bedrockProvider: SimulatedProvider = {
  name: 'bedrock',
  route(path) {
    return invokePath.test(path) ? handleInvoke : undefined;
  },
  notFound(exchange) {
    sendBedrockError(exchange, 'UnknownOperationException', 'UnknownOperationException');
  },
  internalError(exchange, message) {
    sendBedrockError(exchange, 'InternalServerException', message);
  },
};

/** Faults answered with an error before admission: nothing is consumed. */
const errorFaults: Partial<Record<FaultKind, [BedrockErrorType, string]>> = {
  overloaded: ['ServiceUnavailableException', 'Bedrock is unable to process your request.'],
  server: ['InternalServerException', 'The system encountered an unexpected error during processing. Try your request again.'],
  rate_limit: ['ThrottlingException', 'Too many requests, please wait before trying again.'],
  invalid: ['ValidationException', 'Malformed input request: simulated invalid request, please reformat your input and try again.'],
  permission: ['AccessDeniedException', "You don't have access to the model with the specified model ID."],
  not_found: ['ResourceNotFoundException', 'Model not found (simulated fault).'],
  too_large: ['ValidationException', 'Input is too long for requested model.'],
};

const handleInvoke: ExchangeHandler = async (exchange, runtime) => {
  const startedAt = Date.now();
  const match = invokePath.exec(exchange.path);
  if (exchange.req.method !== 'POST' || match === null) {
    sendBedrockError(exchange, 'UnknownOperationException', `Method ${exchange.req.method ?? ''} is not supported; use POST`);
    return;
  }
  let modelId: string;
  try {
    modelId = decodeURIComponent(match[1] ?? '');
  } catch {
    sendBedrockError(exchange, 'ValidationException', 'The provided model identifier is invalid.');
    return;
  }
  const stream = match[2] === 'invoke-with-response-stream';

  if (exchange.bodyTooLarge) {
    // The body was not kept, so its signature cannot be checked; Bedrock refuses it either way.
    sendBedrockError(exchange, 'ValidationException', 'Input is too long for requested model.');
    return;
  }
  const auth = await verifyBedrockAuth(exchange, runtime);
  if (!auth.ok) {
    sendBedrockError(exchange, auth.type, auth.message);
    return;
  }
  const { limiter } = auth;
  exchange.key = auth.key;

  let parsed: unknown;
  try {
    parsed = JSON.parse(exchange.body.toString('utf8'));
  } catch {
    sendBedrockError(exchange, 'ValidationException', 'Malformed input request, please reformat your input and try again.');
    return;
  }
  const body = validateBedrockBody(parsed, modelId);
  if (typeof body === 'string') {
    sendBedrockError(exchange, 'ValidationException', body);
    return;
  }
  // A simulator configured with `claude-*` serves `us.anthropic.claude-...` too.
  if (!runtime.modelAllowed(modelId) && !runtime.modelAllowed(anthropicModelName(modelId))) {
    sendBedrockError(exchange, 'ValidationException', 'The provided model identifier is invalid.');
    return;
  }
  const promptText = promptTextOf(body);
  let directives: Directives;
  try {
    directives = parseDirectives(promptText);
  } catch (error) {
    if (!(error instanceof DirectiveError)) throw error;
    sendBedrockError(exchange, 'ValidationException', error.message);
    return;
  }

  const fault = runtime.faults.pick(directives.fault);
  const errorFault = fault === undefined ? undefined : errorFaults[fault];
  if (fault !== undefined && errorFault !== undefined) {
    runtime.stats.faultInjected(fault);
    sendBedrockError(exchange, errorFault[0], errorFault[1]);
    return;
  }

  const inputTokens = inputTokensOf(body);
  const maxTokens = body.max_tokens;
  const admission = limiter.admit(inputTokens, maxTokens, Date.now());
  if (!admission.ok) {
    const what = admission.dimension === 'requests' || admission.dimension === 'concurrency' ? 'requests' : 'tokens';
    sendBedrockError(exchange, 'ThrottlingException', `Too many ${what}, please wait before trying again.`);
    return;
  }
  exchange.inputTokens = inputTokens;
  exchange.release = () => limiter.complete(maxTokens, exchange.outputTokens, Date.now());
  // Counted once admitted: a fault that met a 429 first never happened.
  if (fault !== undefined) runtime.stats.faultInjected(fault);

  const delay = runtime.config.latencyMs + (fault === 'slow' ? runtime.faults.slowMs : 0);
  if (delay > 0) {
    await runtime.sleep(delay);
    if (exchange.gone) return;
  }
  if (fault === 'drop' || (fault === 'cut-stream' && !stream)) {
    exchange.drop('dropped');
    return;
  }
  if (fault === 'stream-error' && !stream) {
    sendBedrockError(exchange, 'ServiceUnavailableException', 'Bedrock is unable to process your request.');
    return;
  }

  const answer = composeAnswer(simulatedAnswer(promptText), maxTokens, body.stop_sequences);
  const parts = { id: runtime.newId('msg_bdrk'), model: anthropicModelName(modelId), inputTokens, answer };
  if (stream) {
    const ending = fault === 'cut-stream' ? 'cut' : fault === 'stream-error' ? 'error' : 'complete';
    await streamBedrockMessage(exchange, runtime, parts, ending, startedAt);
    return;
  }
  exchange.outputTokens = answer.outputTokens;
  const headers = invokeHeaders(exchange, inputTokens, answer.outputTokens, Date.now() - startedAt);
  exchange.send(200, headers, messageJson(parts), 'succeeded');
};
