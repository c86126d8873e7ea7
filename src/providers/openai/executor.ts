/**
 * The OpenAI executor: Chat Completions and Responses, as JSON (`execute`) or as an event stream
 * (`executeStream`), and Embeddings (JSON only: a stream request gets the JSON answer as one
 * `done` part), one POST per request over the account's shared dispatcher.
 *
 * `OpenAICompatibleExecutor` does the work for every provider that speaks OpenAI's wire format;
 * a dialect says where a call goes and how it authenticates (OpenAI here, Azure OpenAI in
 * providers/azure-openai), and the mappers in this folder read the answers of both.
 */
import type { Credential, CredentialSource } from '../../executors/credentials.ts';
import type { Account, ExecuteOptions, ExecuteRequest, ExecuteResult, ExecutorContext, JsonObject } from '../../executors/types.ts';
import type { SseEvent } from '../../http/sse.ts';
import { callErrorContext, jsonResponse, type Answer, type ApiCall, type CallErrorContext } from '../shared/call.ts';
import { HttpExecutor, type ProviderHandlers } from '../shared/executor.ts';
import type { ProviderError } from '../../executors/errors.ts';
import type { AnswerContext, HttpErrorInput } from '../shared/response.ts';
import { noParts, streamReader, type StreamReader } from '../shared/stream.ts';
import {
  openaiDefaultBaseUrl,
  openaiRequestBody,
  openaiRequestHeaders,
  openaiUrl,
  pickOpenAIHeaders,
  resolveOpenAIEndpoint,
  type OpenAIEndpoint,
} from './api.ts';
import { mapOpenAIHttpError, mapOpenAIStreamError, type OpenAIFamilyProvider } from './map-error.ts';
import { mapOpenAIEmbeddingResponse } from './map-embeddings.ts';
import { mapOpenAIChatCompletion, mapOpenAIResponse } from './map-response.ts';
import { OpenAIResponsesStreamAccumulator, parseOpenAIResponsesEvent } from './map-responses-stream.ts';
import { OpenAIChatStreamAccumulator, parseOpenAIChatStreamFrame, type StreamContext } from './map-stream.ts';
import { openaiChatCompletionSchema, openaiEmbeddingResponseSchema, openaiResponseSchema, type OpenAIResponse } from './schemas.ts';

/** One upstream call, fully addressed. */
export interface OpenAIRoute {
  url: string;
  headers: Record<string, string>;
  body: JsonObject;
  /** Added to the message of a 404: what to check (Azure: resource endpoint, deployment, api-version). */
  notFoundHint?: string;
}

/** What differs between the providers that speak OpenAI's format: addressing and auth. */
export interface OpenAIDialect<P extends OpenAIFamilyProvider = OpenAIFamilyProvider> {
  readonly provider: P;
  /** URL, headers and body of a call with one of the provider's accounts; throws a ProviderError when the account cannot make it. */
  route(
    request: ExecuteRequest,
    account: Extract<Account, { provider: P }>,
    endpoint: OpenAIEndpoint,
    stream: boolean,
    credential?: Credential,
  ): OpenAIRoute;
  /** Where an account's expiring credentials come from (Azure's Entra ID), if it has such. */
  credentialSource?(account: Extract<Account, { provider: P }>): CredentialSource | undefined;
}

export const openaiDialect: OpenAIDialect<'openai'> = {
  provider: 'openai',
  route(executeRequest, account, endpoint, stream) {
    return {
      url: openaiUrl(account, endpoint),
      headers: openaiRequestHeaders(account, { stream }),
      body: openaiRequestBody(executeRequest.body, { endpoint, stream, model: executeRequest.model }),
    };
  },
};

/** One call of the OpenAI family: which API path, and what to add to a 404. */
interface OpenAICall extends ApiCall {
  provider: OpenAIFamilyProvider;
  endpoint: OpenAIEndpoint;
  notFoundHint: string | undefined;
}

/** A non-2xx answer, with the dialect's hint on a 404 (Azure: resource endpoint, deployment, api-version). */
function failed(input: HttpErrorInput, call: OpenAICall): ProviderError {
  const hint = input.status === 404 ? call.notFoundHint : undefined;
  return mapOpenAIHttpError({ ...input, provider: call.provider, ...(hint === undefined ? {} : { hint }) });
}

/** A Responses API response; one whose status is `failed` is the error it carries. */
function mapResponseObject(response: OpenAIResponse, answer: Answer, json: unknown): ExecuteResult {
  if (response.status === 'failed') {
    throw mapOpenAIStreamError(response.error ?? { message: 'the response failed' }, { ...streamContext(answer), rawBody: json });
  }
  return mapOpenAIResponse(response, answer);
}

const readers: Record<OpenAIEndpoint, (text: string, answer: Answer) => ExecuteResult> = {
  chat: jsonResponse(openaiChatCompletionSchema, 'a chat.completion', mapOpenAIChatCompletion),
  embeddings: jsonResponse(openaiEmbeddingResponseSchema, 'an embeddings list', mapOpenAIEmbeddingResponse),
  responses: jsonResponse(openaiResponseSchema, 'a Responses API response', mapResponseObject),
};

const handlers: ProviderHandlers<OpenAICall, SseEvent> = {
  pickHeaders: pickOpenAIHeaders,
  failed,
  successful: (text, answer, call) => readers[call.endpoint](text, answer),
  reader: (answer, call) => (call.endpoint === 'chat' ? chatReader(streamContext(answer)) : responsesReader(streamContext(answer))),
};

export class OpenAICompatibleExecutor<P extends OpenAIFamilyProvider = OpenAIFamilyProvider> extends HttpExecutor<OpenAICall, SseEvent> {
  readonly provider: P;
  protected readonly handlers = handlers;

  constructor(
    context: ExecutorContext,
    private readonly dialect: OpenAIDialect<P>,
  ) {
    super(context);
    this.provider = dialect.provider;
  }

  /** Errors before there is a route name the account's base URL. */
  protected contextBeforeCall(_request: ExecuteRequest, options: ExecuteOptions, account: Account): CallErrorContext {
    return callErrorContext(this.provider, account, account.baseUrl ?? openaiDefaultBaseUrl, options.signal);
  }

  protected override answersAsJson(executeRequest: ExecuteRequest): boolean {
    return isEmbeddingsRequest(executeRequest);
  }

  protected override credentialSource(account: Account): CredentialSource | undefined {
    return this.dialect.credentialSource?.(account as Extract<Account, { provider: P }>);
  }

  protected prepare(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    stream: boolean,
    credential?: Credential,
  ): OpenAICall {
    const endpoint = resolveOpenAIEndpoint(executeRequest, this.provider);
    // The provider was checked just above.
    const route = this.dialect.route(executeRequest, account as Extract<Account, { provider: P }>, endpoint, stream, credential);
    return {
      account,
      provider: this.provider,
      endpoint,
      notFoundHint: route.notFoundHint,
      url: route.url,
      headers: route.headers,
      body: JSON.stringify(route.body),
      signal: options.signal,
      errorContext: callErrorContext(this.provider, account, route.url, options.signal),
    };
  }
}

/** What the OpenAI-family mappers name in their errors. */
function streamContext(answer: AnswerContext): StreamContext {
  return { statusCode: answer.statusCode, accountId: answer.accountId, provider: answer.provider as OpenAIFamilyProvider };
}

/** True for a request bound for `/v1/embeddings` (an unknown endpoint is left to `prepare` to refuse). */
function isEmbeddingsRequest(executeRequest: ExecuteRequest): boolean {
  const endpoint = executeRequest.endpoint?.trim().replace(/^\/+/, '').replace(/^v1\//, '').replace(/\/+$/, '');
  return endpoint === 'embeddings';
}

/** Chat Completions chunks up to `[DONE]`. */
function chatReader(context: StreamContext): StreamReader<SseEvent> {
  const accumulator = new OpenAIChatStreamAccumulator(context);
  return streamReader(accumulator, '[DONE]', (sse) => {
    const frame = parseOpenAIChatStreamFrame(sse, context);
    if (frame.type === 'error') return mapOpenAIStreamError(frame.error, { ...context, rawBody: frame.rawBody });
    return accumulator.push(frame);
  });
}

/** Responses API events up to `response.completed`. */
function responsesReader(context: StreamContext): StreamReader<SseEvent> {
  const accumulator = new OpenAIResponsesStreamAccumulator(context);
  return streamReader(accumulator, 'response.completed', (sse) => {
    const event = parseOpenAIResponsesEvent(sse, context);
    if (event === undefined) return noParts;
    if (event.type === 'error') {
      const { code, message, param } = event;
      return mapOpenAIStreamError({ code, message, param }, { ...context, rawBody: event });
    }
    if (event.type === 'response.failed') {
      return mapOpenAIStreamError(event.response.error ?? { message: 'the response failed' }, { ...context, rawBody: event });
    }
    return accumulator.push(event);
  });
}

/** The executor for OpenAI accounts. */
export class OpenAIExecutor extends OpenAICompatibleExecutor<'openai'> {
  constructor(context: ExecutorContext) {
    super(context, openaiDialect);
  }
}
