/**
 * Bedrock Runtime for Anthropic models: `POST /model/{modelId}/invoke` (JSON) and
 * `/model/{modelId}/invoke-with-response-stream` (AWS event stream), with SigV4 and API key
 * checks, Bedrock's body rules and error shapes, and the same buckets, faults, directives and
 * deterministic answers as the Anthropic API. Keys are access key ids or API keys; stats count
 * them as keys. Bedrock sends no rate-limit headers.
 */
import type { ErrorFaultKind } from '../faults.ts';
import { InvalidBody, pipelineHandler, type SimulatedRequest, type WireFormat } from '../pipeline.ts';
import type { SimulatedProvider } from '../runtime.ts';
import { messagesRequestOf } from './anthropic-request.ts';
import { messageJson, messagePartsOf } from './anthropic-response.ts';
import { verifyBedrockAuth } from './bedrock-auth.ts';
import { anthropicModelName, validateBedrockBody } from './bedrock-request.ts';
import { invokeHeaders, sendBedrockError, streamBedrockMessage, type BedrockErrorType } from './bedrock-response.ts';

const invokePath = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;

/** What an invoke path says. */
interface InvokeTarget {
  /** The model id from the path, undefined when its percent-encoding is malformed. */
  modelId: string | undefined;
  stream: boolean;
  /** When the request arrived: Bedrock reports the invocation latency. */
  startedAt: number;
}

/** Error faults, as Bedrock words them. */
const faultErrors: Readonly<Record<ErrorFaultKind, [BedrockErrorType, string]>> = {
  overloaded: ['ServiceUnavailableException', 'Bedrock is unable to process your request.'],
  server: ['InternalServerException', 'The system encountered an unexpected error during processing. Try your request again.'],
  rate_limit: ['ThrottlingException', 'Too many requests, please wait before trying again.'],
  invalid: ['ValidationException', 'Malformed input request: simulated invalid request, please reformat your input and try again.'],
  permission: ['AccessDeniedException', "You don't have access to the model with the specified model ID."],
  not_found: ['ResourceNotFoundException', 'Model not found (simulated fault).'],
  too_large: ['ValidationException', 'Input is too long for requested model.'],
};

const invalidModelId = 'The provided model identifier is invalid.';

const bedrockWire: WireFormat<InvokeTarget, SimulatedRequest> = {
  async admitCaller(exchange, runtime, target) {
    if (target.modelId === undefined) {
      sendBedrockError(exchange, 'ValidationException', invalidModelId);
      return undefined;
    }
    if (exchange.bodyTooLarge) {
      // The body was not kept, so its signature cannot be checked; Bedrock refuses it either way.
      sendBedrockError(exchange, 'ValidationException', 'Input is too long for requested model.');
      return undefined;
    }
    const auth = await verifyBedrockAuth(exchange, runtime);
    if (!auth.ok) {
      sendBedrockError(exchange, auth.type, auth.message);
      return undefined;
    }
    exchange.key = auth.key;
    return auth.limiter;
  },

  readBody(body, target) {
    const modelId = target.modelId ?? '';
    const checked = validateBedrockBody(body, modelId);
    if (typeof checked === 'string') return new InvalidBody(checked);
    return messagesRequestOf(checked, anthropicModelName(modelId), target.stream);
  },

  // A simulator configured with `claude-*` serves `us.anthropic.claude-...` too (request.model is that name).
  serves: (runtime, request, target) => runtime.modelAllowed(target.modelId ?? '') || runtime.modelAllowed(request.model),

  refuse(exchange, refusal) {
    switch (refusal.kind) {
      case 'method-not-allowed': {
        const message = `Method ${exchange.req.method ?? ''} is not supported; use POST`;
        return sendBedrockError(exchange, 'UnknownOperationException', message);
      }
      case 'body-too-large':
        return sendBedrockError(exchange, 'ValidationException', 'Input is too long for requested model.');
      case 'malformed-json':
        return sendBedrockError(exchange, 'ValidationException', 'Malformed input request, please reformat your input and try again.');
      case 'invalid-body':
        return sendBedrockError(exchange, 'ValidationException', refusal.problem.message);
      case 'bad-directive':
        return sendBedrockError(exchange, 'ValidationException', refusal.message);
      case 'model-not-served':
        return sendBedrockError(exchange, 'ValidationException', invalidModelId);
      case 'fault':
        return sendBedrockError(exchange, ...faultErrors[refusal.fault]);
      case 'rate-limited': {
        const { dimension } = refusal.admission;
        const what = dimension === 'requests' || dimension === 'concurrency' ? 'requests' : 'tokens';
        return sendBedrockError(exchange, 'ThrottlingException', `Too many ${what}, please wait before trying again.`);
      }
      case 'stream-error':
        return sendBedrockError(exchange, 'ServiceUnavailableException', 'Bedrock is unable to process your request.');
    }
  },

  sendAnswer({ exchange, runtime, request, answer, target }) {
    const headers = invokeHeaders(exchange, request.inputTokens, answer.outputTokens, Date.now() - target.startedAt);
    exchange.send(200, headers, messageJson(messagePartsOf(runtime.newId('msg_bdrk'), request, answer)), 'succeeded');
  },

  streamAnswer({ exchange, runtime, request, answer, target }, ending) {
    const parts = messagePartsOf(runtime.newId('msg_bdrk'), request, answer);
    return streamBedrockMessage(exchange, runtime, parts, ending, target.startedAt);
  },
};

export const bedrockProvider: SimulatedProvider = {
  name: 'bedrock',
  route(path) {
    const match = invokePath.exec(path);
    if (match === null) return undefined;
    let modelId: string | undefined;
    try {
      modelId = decodeURIComponent(match[1] ?? '');
    } catch {
      modelId = undefined;
    }
    return pipelineHandler(bedrockWire, { modelId, stream: match[2] === 'invoke-with-response-stream', startedAt: Date.now() });
  },
  notFound(exchange) {
    sendBedrockError(exchange, 'UnknownOperationException', 'UnknownOperationException');
  },
  internalError(exchange, message) {
    sendBedrockError(exchange, 'InternalServerException', message);
  },
};
