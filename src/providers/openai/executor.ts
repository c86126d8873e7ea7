/**
 * The OpenAI executor: Chat Completions and Responses, as JSON (`execute`) or as an event stream
 * (`executeStream`), and Embeddings (JSON only: a stream request gets the JSON answer as one
 * `done` part), one POST per request over the account's shared dispatcher.
 *
 * `OpenAICompatibleExecutor` does the work for every provider that speaks OpenAI's wire format;
 * a dialect says where a call goes and how it authenticates (OpenAI here, Azure OpenAI in
 * providers/azure-openai), and the mappers in this folder read the answers of both.
 */
import { request, type Dispatcher } from 'undici';
import type {
  Account,
  ExecuteOptions,
  ExecuteRequest,
  ExecuteResult,
  Executor,
  ExecutorContext,
  JsonObject,
  StreamPart,
} from '../../executors/types.ts';
import { ProviderError } from '../../executors/errors.ts';
import { dispatcherFor } from '../../http/dispatchers.ts';
import { toProviderError, type RequestErrorContext } from '../../http/request-errors.ts';
import { readSseEvents, type SseEvent } from '../../http/sse.ts';
import {
  openaiDefaultBaseUrl,
  openaiRequestBody,
  openaiRequestHeaders,
  openaiUrl,
  pickOpenAIHeaders,
  resolveOpenAIEndpoint,
  type OpenAIEndpoint,
} from './api.ts';
import { bodyReadError, isSuccess, parseJsonBody, readErrorBodyText, streamEndedEarlyError, validateBody, type AnswerContext } from '../shared/response.ts';
import {
  mapOpenAIHttpError,
  mapOpenAIStreamError,
  type OpenAIFamilyProvider,
} from './map-error.ts';
import { mapOpenAIEmbeddingResponse } from './map-embeddings.ts';
import { mapOpenAIChatCompletion, mapOpenAIResponse, type ResponseMeta } from './map-response.ts';
import { OpenAIResponsesStreamAccumulator, parseOpenAIResponsesEvent } from './map-responses-stream.ts';
import { OpenAIChatStreamAccumulator, parseOpenAIChatStreamFrame, type StreamContext } from './map-stream.ts';
import { openaiChatCompletionSchema, openaiEmbeddingResponseSchema, openaiResponseSchema } from './schemas.ts';

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
  route(request: ExecuteRequest, account: Extract<Account, { provider: P }>, endpoint: OpenAIEndpoint, stream: boolean): OpenAIRoute;
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

/** Where a stream stands after one SSE event. */
type StreamStep = { parts: StreamPart[] } | { error: ProviderError };

/** The per-endpoint half of reading a stream: chat chunks or Responses events. */
interface StreamReader {
  readonly finished: boolean;
  /** What the stream must end with, for the error when it does not. */
  readonly endMarker: string;
  step(sse: SseEvent): StreamStep;
  finalParts(meta: ResponseMeta): StreamPart[];
}

export class OpenAICompatibleExecutor<P extends OpenAIFamilyProvider = OpenAIFamilyProvider> implements Executor {
  readonly provider: P;

  constructor(
    private readonly context: ExecutorContext,
    private readonly dialect: OpenAIDialect<P>,
  ) {
    this.provider = dialect.provider;
  }

  isAvailable(): boolean {
    return this.getAvailableAccountsCount() > 0;
  }

  getAvailableAccountsCount(): number {
    return this.context.accounts().filter((a) => a.provider === this.provider && a.enabled).length;
  }

  async execute(executeRequest: ExecuteRequest, options: ExecuteOptions, account: Account): Promise<ExecuteResult> {
    const call = this.prepare(executeRequest, options, account, false);
    const response = await this.send(call, options);
    const headers = pickOpenAIHeaders(response.headers);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw bodyReadError(error, call.errorContext, response.statusCode);
    }
    if (!isSuccess(response.statusCode)) {
      throw this.httpError(response.statusCode, response.headers, text, call);
    }

    const answer = this.answerContext(response.statusCode, account);
    const json = parseJsonBody(text, answer);
    const meta = { statusCode: response.statusCode, headers };
    if (call.endpoint === 'chat') {
      const completion = validateBody(json, openaiChatCompletionSchema, 'a chat.completion', answer);
      return mapOpenAIChatCompletion(completion, meta);
    }
    if (call.endpoint === 'embeddings') {
      const embeddings = validateBody(json, openaiEmbeddingResponseSchema, 'an embeddings list', answer);
      return mapOpenAIEmbeddingResponse(embeddings, meta);
    }
    const responseObject = validateBody(json, openaiResponseSchema, 'a Responses API response', answer);
    if (responseObject.status === 'failed') {
      throw mapOpenAIStreamError(responseObject.error ?? { message: 'the response failed' }, { ...answer, rawBody: json });
    }
    return mapOpenAIResponse(responseObject, meta);
  }

  async *executeStream(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
  ): AsyncGenerator<StreamPart, void, undefined> {
    if (isEmbeddingsRequest(executeRequest)) {
      // Embeddings do not stream: the JSON answer is the whole stream.
      try {
        yield { type: 'done', result: await this.execute(executeRequest, options, account) };
      } catch (error) {
        yield { type: 'error', error: toProviderError(error, this.errorContext(account, options)) };
      }
      return;
    }
    let call: PreparedCall;
    let response: Dispatcher.ResponseData;
    try {
      call = this.prepare(executeRequest, options, account, true);
      response = await this.send(call, options);
    } catch (error) {
      yield { type: 'error', error: toProviderError(error, this.errorContext(account, options)) };
      return;
    }
    const { statusCode } = response;
    const headers = pickOpenAIHeaders(response.headers);
    if (!isSuccess(statusCode)) {
      const bodyText = await readErrorBodyText(response);
      yield { type: 'error', error: this.httpError(statusCode, response.headers, bodyText, call) };
      return;
    }

    const reader = call.endpoint === 'chat'
      ? chatReader(this.answerContext(statusCode, account))
      : responsesReader(this.answerContext(statusCode, account));
    try {
      for await (const sse of readSseEvents(response.body)) {
        if (reader.finished) continue; // drain so the connection can be reused
        const step = reader.step(sse);
        if ('error' in step) {
          yield { type: 'error', error: step.error };
          return;
        }
        yield* step.parts;
      }
    } catch (error) {
      // A socket that breaks after the end marker has already delivered the whole answer.
      if (!reader.finished) {
        yield { type: 'error', error: bodyReadError(error, call.errorContext, statusCode) };
        return;
      }
    }
    if (!reader.finished) {
      yield {
        type: 'error',
        error: streamEndedEarlyError(this.provider, account.id, call.errorContext.url, statusCode, reader.endMarker),
      };
      return;
    }
    try {
      yield* reader.finalParts({ statusCode, headers });
    } catch (error) {
      yield { type: 'error', error: bodyReadError(error, call.errorContext, statusCode) };
    }
  }

  private prepare(executeRequest: ExecuteRequest, options: ExecuteOptions, account: Account, stream: boolean): PreparedCall {
    if (account.provider !== this.provider) {
      throw new ProviderError({
        kind: 'invalid_request',
        provider: this.provider,
        message: `account "${account.id}" is a ${account.provider} account, not an ${this.provider} one`,
      });
    }
    const endpoint = resolveOpenAIEndpoint(executeRequest, this.provider);
    // The provider was checked just above.
    const route = this.dialect.route(executeRequest, account as Extract<Account, { provider: P }>, endpoint, stream);
    return {
      endpoint,
      route,
      account,
      errorContext: { ...this.errorContext(account, options), url: route.url },
    };
  }

  private async send(call: PreparedCall, options: ExecuteOptions): Promise<Dispatcher.ResponseData> {
    const { account } = call;
    try {
      return await request(call.route.url, {
        method: 'POST',
        headers: call.route.headers,
        body: JSON.stringify(call.route.body),
        dispatcher: dispatcherFor(account),
        headersTimeout: account.timeouts.firstByteMs,
        bodyTimeout: account.timeouts.idleMs,
        signal: options.signal ?? null,
      });
    } catch (error) {
      throw toProviderError(error, call.errorContext);
    }
  }

  private httpError(
    status: number,
    headers: Dispatcher.ResponseData['headers'],
    bodyText: string,
    call: PreparedCall,
  ): ProviderError {
    const hint = status === 404 ? call.route.notFoundHint : undefined;
    return mapOpenAIHttpError({
      status,
      headers,
      bodyText,
      accountId: call.account.id,
      provider: this.provider,
      ...(hint === undefined ? {} : { hint }),
    });
  }

  private answerContext(statusCode: number, account: Account): StreamContext & AnswerContext {
    return { statusCode, accountId: account.id, provider: this.provider };
  }

  private errorContext(account: Account, options: ExecuteOptions): RequestErrorContext & { url: string } {
    return {
      provider: this.provider,
      // Replaced by the route's URL once there is one; errors before that name the base URL.
      url: account.baseUrl ?? openaiDefaultBaseUrl,
      accountId: account.id,
      ...(account.proxy === undefined ? {} : { proxy: account.proxy }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      timeouts: account.timeouts,
    };
  }
}

interface PreparedCall {
  endpoint: OpenAIEndpoint;
  route: OpenAIRoute;
  account: Account;
  errorContext: RequestErrorContext & { url: string };
}

/** True for a request bound for `/v1/embeddings` (an unknown endpoint is left to `prepare` to refuse). */
function isEmbeddingsRequest(executeRequest: ExecuteRequest): boolean {
  const endpoint = executeRequest.endpoint?.trim().replace(/^\/+/, '').replace(/^v1\//, '').replace(/\/+$/, '');
  return endpoint === 'embeddings';
}

function chatReader(context: StreamContext): StreamReader {
  const accumulator = new OpenAIChatStreamAccumulator(context);
  return {
    get finished() {
      return accumulator.finished;
    },
    endMarker: '[DONE]',
    step(sse) {
      const frame = parseOpenAIChatStreamFrame(sse, context);
      if (frame.type === 'error') return { error: mapOpenAIStreamError(frame.error, { ...context, rawBody: frame.rawBody }) };
      return { parts: accumulator.push(frame) };
    },
    finalParts: (meta) => accumulator.finalParts(meta),
  };
}

function responsesReader(context: StreamContext): StreamReader {
  const accumulator = new OpenAIResponsesStreamAccumulator(context);
  return {
    get finished() {
      return accumulator.finished;
    },
    endMarker: 'response.completed',
    step(sse) {
      const event = parseOpenAIResponsesEvent(sse, context);
      if (event === undefined) return { parts: [] };
      if (event.type === 'error') {
        const { code, message, param } = event;
        return { error: mapOpenAIStreamError({ code, message, param }, { ...context, rawBody: event }) };
      }
      if (event.type === 'response.failed') {
        const failure = event.response.error ?? { message: 'the response failed' };
        return { error: mapOpenAIStreamError(failure, { ...context, rawBody: event }) };
      }
      return { parts: accumulator.push(event) };
    },
    finalParts: (meta) => accumulator.finalParts(meta),
  };
}

/** The executor for OpenAI accounts. */
export class OpenAIExecutor extends OpenAICompatibleExecutor<'openai'> {
  constructor(context: ExecutorContext) {
    super(context, openaiDialect);
  }
}
