/**
 * The Bedrock executor for Anthropic models: one POST per request (SigV4-signed, or with an
 * Amazon Bedrock API key as a bearer token) over the account's shared dispatcher, to
 * `/model/{id}/invoke` (JSON) or `/model/{id}/invoke-with-response-stream` (AWS binary event
 * stream).
 */
import { request, type Dispatcher } from 'undici';
import type {
  Account,
  ExecuteOptions,
  ExecuteRequest,
  ExecuteResult,
  Executor,
  ExecutorContext,
  StreamPart,
} from '../../executors/types.ts';
import { ProviderError } from '../../executors/errors.ts';
import { dispatcherFor } from '../../http/dispatchers.ts';
import { toProviderError, type RequestErrorContext } from '../../http/request-errors.ts';
import { AnthropicStreamAccumulator } from '../anthropic/map-stream.ts';
import { bodyReadError, httpError, isSuccess, readErrorBodyText, responseOrError, streamEndedEarlyError } from '../shared/response.ts';
import { bedrockInvokeUrl, bedrockRequestHeaders, pickBedrockHeaders } from './api.ts';
import { bedrockRequestBody } from './convert-request.ts';
import { resolveBedrockAuth, type Environment } from './credentials.ts';
import { EventStreamFormatError, EventStreamFrameReader, EventStreamTruncatedError } from './event-stream.ts';
import { asBedrockError, bedrockMalformedResponseError, mapBedrockHttpError } from './map-error.ts';
import { mapBedrockInvokeResponse } from './map-response.ts';
import { interpretBedrockMessage } from './map-stream.ts';

export interface BedrockExecutorOptions {
  /** Where AWS_BEARER_TOKEN_BEDROCK, AWS_* keys and region come from when an account has none; process.env by default. */
  env?: Environment;
}

type ErrorContext = RequestErrorContext & { url: string };

export class BedrockExecutor implements Executor {
  readonly provider = 'bedrock' as const;
  private readonly env: Environment;

  constructor(
    private readonly context: ExecutorContext,
    options: BedrockExecutorOptions = {},
  ) {
    this.env = options.env ?? process.env;
  }

  isAvailable(): boolean {
    return this.getAvailableAccountsCount() > 0;
  }

  getAvailableAccountsCount(): number {
    return this.context.accounts().filter((a) => a.provider === 'bedrock' && a.enabled).length;
  }

  async execute(executeRequest: ExecuteRequest, options: ExecuteOptions, account: Account): Promise<ExecuteResult> {
    const { response, errorContext } = await this.send(executeRequest, options, account, false);
    const headers = pickBedrockHeaders(response.headers);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw bodyReadError(error, errorContext, response.statusCode);
    }
    if (!isSuccess(response.statusCode)) {
      throw httpError(response, text, account.id, mapBedrockHttpError);
    }
    return mapBedrockInvokeResponse(text, { statusCode: response.statusCode, headers, accountId: account.id });
  }

  async *executeStream(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
  ): AsyncGenerator<StreamPart, void, undefined> {
    const sent = await responseOrError(
      this.send(executeRequest, options, account, true),
      this.errorContext(account, options, ''), // send names the URL in its own errors once it knows the region
    );
    if (sent instanceof ProviderError) {
      yield { type: 'error', error: sent };
      return;
    }
    const { response, errorContext } = sent;
    const { statusCode } = response;
    const headers = pickBedrockHeaders(response.headers);

    if (!isSuccess(statusCode)) {
      const bodyText = await readErrorBodyText(response);
      yield { type: 'error', error: httpError(response, bodyText, account.id, mapBedrockHttpError) };
      return;
    }

    const streamContext = { statusCode, accountId: account.id };
    const accumulator = new AnthropicStreamAccumulator(streamContext);
    const reader = new EventStreamFrameReader();
    try {
      for await (const chunk of response.body) {
        for (const message of reader.push(chunk as Uint8Array)) {
          if (accumulator.finished) continue; // drain so the connection can be reused
          const item = interpretBedrockMessage(message, streamContext);
          if (item.type === 'skip') continue;
          if (item.type === 'error') {
            response.body.destroy();
            yield { type: 'error', error: item.error };
            return;
          }
          yield* accumulator.push(item.event);
        }
      }
      reader.finish();
    } catch (error) {
      // A socket that breaks after message_stop has already delivered the whole answer.
      if (!accumulator.finished) {
        response.body.destroy();
        yield { type: 'error', error: this.streamError(error, errorContext, statusCode, account.id) };
        return;
      }
    }
    if (!accumulator.finished) {
      yield {
        type: 'error',
        error: streamEndedEarlyError('bedrock', account.id, errorContext.url, statusCode, 'message_stop'),
      };
      return;
    }
    try {
      yield* accumulator.finalParts({ statusCode, headers });
    } catch (error) {
      yield { type: 'error', error: this.streamError(error, errorContext, statusCode, account.id) };
    }
  }

  private streamError(error: unknown, errorContext: ErrorContext, statusCode: number, accountId: string): ProviderError {
    if (error instanceof ProviderError) return asBedrockError(error, accountId);
    if (error instanceof EventStreamTruncatedError) {
      return new ProviderError({
        kind: 'network',
        provider: 'bedrock',
        statusCode,
        message: `bedrock account "${accountId}": the event stream from ${new URL(errorContext.url).host} was cut in the middle of a frame`,
        cause: error,
      });
    }
    if (error instanceof EventStreamFormatError) {
      return bedrockMalformedResponseError(error.message, { statusCode, accountId, cause: error });
    }
    return bodyReadError(error, errorContext, statusCode);
  }

  private async send(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    stream: boolean,
  ): Promise<{ response: Dispatcher.ResponseData; errorContext: ErrorContext }> {
    if (account.provider !== 'bedrock') {
      throw new ProviderError({
        kind: 'invalid_request',
        provider: 'bedrock',
        message: `account "${account.id}" is a ${account.provider} account, not a bedrock one`,
      });
    }
    const auth = resolveBedrockAuth(account, this.env);
    const url = bedrockInvokeUrl(account, auth.region, executeRequest.model, stream);
    const errorContext = this.errorContext(account, options, url);
    const body = JSON.stringify(bedrockRequestBody(executeRequest.body, account));
    try {
      const headers = await bedrockRequestHeaders({ url, body, auth, stream });
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: dispatcherFor(account),
        headersTimeout: account.timeouts.firstByteMs,
        bodyTimeout: account.timeouts.idleMs,
        signal: options.signal ?? null,
      });
      return { response, errorContext };
    } catch (error) {
      throw toProviderError(error, errorContext);
    }
  }

  private errorContext(account: Account, options: ExecuteOptions, url: string): ErrorContext {
    return {
      provider: 'bedrock',
      url,
      accountId: account.id,
      ...(account.proxy === undefined ? {} : { proxy: account.proxy }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      timeouts: account.timeouts,
    };
  }
}
