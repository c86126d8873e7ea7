/**
 * The Gemini executor: one POST per request over the account's shared dispatcher, to
 * `:generateContent` (`execute`) or `:streamGenerateContent?alt=sse` (`executeStream`). The body
 * is the native GenerateContentRequest; the model goes in the URL. An EmbedContentRequest
 * (`content` instead of `contents`, or `endpoint: ":embedContent"`) goes to `:embedContent`, as
 * JSON also when a stream was asked for (embeddings do not stream). The send/read/check sequence
 * is shared (providers/shared/call.ts, stream.ts).
 */
import type { Credential, CredentialSource } from '../../executors/credentials.ts';
import type { Account, ExecuteOptions, ExecuteRequest, JsonObject } from '../../executors/types.ts';
import type { SseEvent } from '../../http/sse.ts';
import { callErrorContext, jsonResponse, type ApiCall, type CallErrorContext } from '../shared/call.ts';
import { HttpExecutor, type ProviderHandlers } from '../shared/executor.ts';
import { noParts, stopReading, streamReader, type StreamReader } from '../shared/stream.ts';
import type { AnswerContext } from '../shared/response.ts';
import { geminiEmbedUrl, geminiRequestHeaders, geminiUrl, pickGeminiHeaders, resolveGeminiMethod, type GeminiMethod } from './api.ts';
import type { GeminiAccount } from './account.ts';
import { googleAuthSource } from './google-auth.ts';
import { mapGeminiEmbedding } from './map-embedding.ts';
import { mapGeminiHttpError, mapGeminiStreamError } from './map-error.ts';
import { mapGeminiResponse } from './map-response.ts';
import { GeminiStreamAccumulator, parseGeminiStreamFrame } from './map-stream.ts';
import { geminiEmbedContentResponseSchema, geminiResponseSchema } from './schemas.ts';

/** Fields of a relayq request body that are not GenerateContentRequest fields (Gemini rejects unknown names). */
const nonGeminiFields = ['model', 'stream'] as const;

interface GeminiCall extends ApiCall {
  method: GeminiMethod;
}

const readEmbedding = jsonResponse(geminiEmbedContentResponseSchema, 'an EmbedContentResponse', mapGeminiEmbedding);
const readGenerated = jsonResponse(geminiResponseSchema, 'a GenerateContentResponse', mapGeminiResponse);

const handlers: ProviderHandlers<GeminiCall, SseEvent> = {
  pickHeaders: pickGeminiHeaders,
  failed: mapGeminiHttpError,
  successful: (text, answer, call) => (call.method === 'embedContent' ? readEmbedding : readGenerated)(text, answer),
  reader: geminiSseReader,
};

export class GeminiExecutor extends HttpExecutor<GeminiCall, SseEvent> {
  readonly provider = 'gemini' as const;
  protected readonly handlers = handlers;

  protected prepare(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    stream: boolean,
    credential?: Credential,
  ): GeminiCall {
    const body: JsonObject = { ...executeRequest.body };
    for (const field of nonGeminiFields) delete body[field];
    const context = errorContext(executeRequest, account, options, stream);
    return {
      account,
      method: resolveGeminiMethod(executeRequest),
      url: context.url,
      headers: geminiRequestHeaders(credential === undefined ? account : { authToken: credential.secret }, { stream }),
      body: JSON.stringify(body),
      signal: options.signal,
      errorContext: context,
    };
  }

  /** A `googleAuth` account's access tokens come from google-auth-library (google-auth.ts). */
  protected override credentialSource(account: Account): CredentialSource | undefined {
    return googleAuthSource(account as GeminiAccount);
  }

  protected contextBeforeCall(executeRequest: ExecuteRequest, options: ExecuteOptions, account: Account): CallErrorContext {
    return errorContext(executeRequest, account, options, false);
  }

  protected override answersAsJson(executeRequest: ExecuteRequest): boolean {
    return resolveGeminiMethod(executeRequest) === 'embedContent';
  }
}

function errorContext(executeRequest: ExecuteRequest, account: Account, options: ExecuteOptions, stream: boolean): CallErrorContext {
  const model = modelOf(executeRequest);
  const url = resolveGeminiMethod(executeRequest) === 'embedContent' ? geminiEmbedUrl(account, model) : geminiUrl(account, model, stream);
  return callErrorContext('gemini', account, url, options.signal);
}

/**
 * GenerateContentResponse chunks. Chunks after the finishing one (a late usageMetadata) still
 * update the body but yield nothing; an error after it cannot take back a complete answer and
 * ends the reading.
 */
function geminiSseReader(context: AnswerContext): StreamReader<SseEvent> {
  const accumulator = new GeminiStreamAccumulator(context);
  const step: StreamReader<SseEvent>['step'] = (sse) => {
    const frame = parseGeminiStreamFrame(sse, context);
    if (frame.type === 'error') return accumulator.finished ? stopReading : mapGeminiStreamError(frame.body, context);
    const wasFinished = accumulator.finished;
    const parts = accumulator.push(frame.response);
    return wasFinished ? noParts : parts;
  };
  const finalEvent = 'a chunk with a finishReason (the answer is incomplete)';
  return streamReader(accumulator, finalEvent, step, {
    readsAfterEnd: true,
    endError: (answer) => accumulator.blockedError(answer.headers),
  });
}

/** The request's model, else the body's `model` field. */
function modelOf(executeRequest: ExecuteRequest): string {
  if (executeRequest.model !== '') return executeRequest.model;
  return typeof executeRequest.body.model === 'string' ? executeRequest.body.model : '';
}
