/**
 * The Gemini executor: one POST per request over the account's shared dispatcher, to
 * `:generateContent` (`execute`) or `:streamGenerateContent?alt=sse` (`executeStream`). The body
 * is the native GenerateContentRequest; the model goes in the URL. An EmbedContentRequest
 * (`content` instead of `contents`, or `endpoint: ":embedContent"`) goes to `:embedContent`, as
 * JSON also when a stream was asked for (embeddings do not stream).
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
import { readSseEvents } from '../../http/sse.ts';
import { geminiEmbedUrl, geminiRequestHeaders, geminiUrl, pickGeminiHeaders, resolveGeminiMethod } from './api.ts';
import { mapGeminiEmbedding } from './map-embedding.ts';
import { bodyReadError, httpError, isSuccess, parseJsonBody, readErrorBodyText, responseOrError, streamEndedEarlyError, validateBody } from '../shared/response.ts';
import { mapGeminiHttpError, mapGeminiStreamError } from './map-error.ts';
import { mapGeminiResponse } from './map-response.ts';
import { GeminiStreamAccumulator, parseGeminiStreamFrame } from './map-stream.ts';
import { geminiEmbedContentResponseSchema, geminiResponseSchema } from './schemas.ts';

/** Fields of a relayq request body that are not GenerateContentRequest fields (Gemini rejects unknown names). */
const nonGeminiFields = ['model', 'stream'] as const;

export class GeminiExecutor implements Executor {
  readonly provider = 'gemini' as const;

  constructor(private readonly context: ExecutorContext) {}

  isAvailable(): boolean {
    return this.getAvailableAccountsCount() > 0;
  }

  getAvailableAccountsCount(): number {
    return this.context.accounts().filter((a) => a.provider === 'gemini' && a.enabled).length;
  }

  async execute(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
  ): Promise<ExecuteResult> {
    const errorContext = this.errorContext(executeRequest, account, options, false);
    const response = await this.send(executeRequest, options, account, false, errorContext);
    const headers = pickGeminiHeaders(response.headers);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw bodyReadError(error, errorContext, response.statusCode);
    }
    if (!isSuccess(response.statusCode)) {
      throw httpError(response, text, account.id, mapGeminiHttpError);
    }

    const answer = { provider: 'gemini', statusCode: response.statusCode, accountId: account.id };
    const json = parseJsonBody(text, answer);
    if (resolveGeminiMethod(executeRequest) === 'embedContent') {
      const embedding = validateBody(json, geminiEmbedContentResponseSchema, 'an EmbedContentResponse', answer);
      return mapGeminiEmbedding(embedding, { statusCode: response.statusCode, headers });
    }
    const generated = validateBody(json, geminiResponseSchema, 'a GenerateContentResponse', answer);
    return mapGeminiResponse(generated, { statusCode: response.statusCode, accountId: account.id, headers });
  }

  async *executeStream(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
  ): AsyncGenerator<StreamPart, void, undefined> {
    if (resolveGeminiMethod(executeRequest) === 'embedContent') {
      // Embeddings do not stream: the JSON answer is the whole stream.
      try {
        yield { type: 'done', result: await this.execute(executeRequest, options, account) };
      } catch (error) {
        yield { type: 'error', error: toProviderError(error, this.errorContext(executeRequest, account, options, false)) };
      }
      return;
    }
    const errorContext = this.errorContext(executeRequest, account, options, true);
    const response = await responseOrError(this.send(executeRequest, options, account, true, errorContext), errorContext);
    if (response instanceof ProviderError) {
      yield { type: 'error', error: response };
      return;
    }
    const { statusCode } = response;
    const headers = pickGeminiHeaders(response.headers);

    if (!isSuccess(statusCode)) {
      const bodyText = await readErrorBodyText(response);
      yield { type: 'error', error: httpError(response, bodyText, account.id, mapGeminiHttpError) };
      return;
    }

    const streamContext = { statusCode, accountId: account.id };
    const accumulator = new GeminiStreamAccumulator(streamContext);
    try {
      for await (const sse of readSseEvents(response.body)) {
        const frame = parseGeminiStreamFrame(sse, streamContext);
        if (frame.type === 'error') {
          // An error after the finishing chunk cannot take back an answer already complete.
          if (accumulator.finished) break;
          yield { type: 'error', error: mapGeminiStreamError(frame.body, streamContext) };
          return;
        }
        // Chunks after the finishing one (a late usageMetadata) still update the body.
        const wasFinished = accumulator.finished;
        const parts = accumulator.push(frame.response);
        if (!wasFinished) yield* parts;
      }
    } catch (error) {
      // A socket that breaks after the finishing chunk has already delivered the whole answer.
      if (!accumulator.finished) {
        yield { type: 'error', error: bodyReadError(error, errorContext, statusCode) };
        return;
      }
    }
    const blocked = accumulator.blockedError(headers);
    if (blocked !== undefined) {
      yield { type: 'error', error: blocked };
      return;
    }
    if (!accumulator.finished) {
      const finalEvent = 'a chunk with a finishReason (the answer is incomplete)';
      yield {
        type: 'error',
        error: streamEndedEarlyError('gemini', account.id, errorContext.url, statusCode, finalEvent),
      };
      return;
    }
    yield* accumulator.finalParts({ statusCode, headers, accountId: account.id });
  }

  private async send(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    stream: boolean,
    errorContext: RequestErrorContext,
  ): Promise<Dispatcher.ResponseData> {
    if (account.provider !== 'gemini') {
      throw new ProviderError({
        kind: 'invalid_request',
        provider: 'gemini',
        message: `account "${account.id}" is a ${account.provider} account, not a gemini one`,
      });
    }
    const body: JsonObject = { ...executeRequest.body };
    for (const field of nonGeminiFields) delete body[field];
    try {
      return await request(errorContext.url, {
        method: 'POST',
        headers: geminiRequestHeaders(account, { stream }),
        body: JSON.stringify(body),
        dispatcher: dispatcherFor(account),
        headersTimeout: account.timeouts.firstByteMs,
        bodyTimeout: account.timeouts.idleMs,
        signal: options.signal ?? null,
      });
    } catch (error) {
      throw toProviderError(error, errorContext);
    }
  }

  private errorContext(
    executeRequest: ExecuteRequest,
    account: Account,
    options: ExecuteOptions,
    stream: boolean,
  ): RequestErrorContext & { url: string } {
    return {
      provider: 'gemini',
      url:
        resolveGeminiMethod(executeRequest) === 'embedContent'
          ? geminiEmbedUrl(account, modelOf(executeRequest))
          : geminiUrl(account, modelOf(executeRequest), stream),
      accountId: account.id,
      ...(account.proxy === undefined ? {} : { proxy: account.proxy }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      timeouts: account.timeouts,
    };
  }
}

/** The request's model, else the body's `model` field. */
function modelOf(executeRequest: ExecuteRequest): string {
  if (executeRequest.model !== '') return executeRequest.model;
  return typeof executeRequest.body.model === 'string' ? executeRequest.body.model : '';
}
