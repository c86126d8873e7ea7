/**
 * The Anthropic Messages executor: one POST per request over the account's shared dispatcher,
 * as JSON (`execute`) or as an event stream (`executeStream`).
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
import { anthropicMessagesUrl, anthropicRequestHeaders, pickAnthropicHeaders } from './api.ts';
import { bodyReadError, httpError, isSuccess, parseJsonBody, readErrorBodyText, responseOrError, streamEndedEarlyError, validateBody } from '../shared/response.ts';
import { mapAnthropicHttpError, mapAnthropicStreamError } from './map-error.ts';
import { mapAnthropicMessage } from './map-response.ts';
import { AnthropicStreamAccumulator, parseAnthropicStreamEvent } from './map-stream.ts';
import { anthropicMessageSchema } from './schemas.ts';

export class AnthropicExecutor implements Executor {
  readonly provider = 'anthropic' as const;

  constructor(private readonly context: ExecutorContext) {}

  isAvailable(): boolean {
    return this.getAvailableAccountsCount() > 0;
  }

  getAvailableAccountsCount(): number {
    return this.context.accounts().filter((a) => a.provider === 'anthropic' && a.enabled).length;
  }

  async execute(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
  ): Promise<ExecuteResult> {
    const errorContext = this.errorContext(account, options);
    const response = await this.send(executeRequest, options, account, false, errorContext);
    const headers = pickAnthropicHeaders(response.headers);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw bodyReadError(error, errorContext, response.statusCode);
    }
    if (!isSuccess(response.statusCode)) {
      throw httpError(response, text, account.id, mapAnthropicHttpError);
    }

    const answer = { provider: 'anthropic', statusCode: response.statusCode, accountId: account.id };
    const json = parseJsonBody(text, answer);
    const message = validateBody(json, anthropicMessageSchema, 'a Messages API message', answer);
    return mapAnthropicMessage(message, { statusCode: response.statusCode, headers });
  }

  async *executeStream(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
  ): AsyncGenerator<StreamPart, void, undefined> {
    const errorContext = this.errorContext(account, options);
    const response = await responseOrError(this.send(executeRequest, options, account, true, errorContext), errorContext);
    if (response instanceof ProviderError) {
      yield { type: 'error', error: response };
      return;
    }
    const { statusCode } = response;
    const headers = pickAnthropicHeaders(response.headers);

    if (!isSuccess(statusCode)) {
      const bodyText = await readErrorBodyText(response);
      yield { type: 'error', error: httpError(response, bodyText, account.id, mapAnthropicHttpError) };
      return;
    }

    const streamContext = { statusCode, accountId: account.id };
    const accumulator = new AnthropicStreamAccumulator(streamContext);
    try {
      for await (const sse of readSseEvents(response.body)) {
        if (accumulator.finished) continue; // drain so the connection can be reused
        const event = parseAnthropicStreamEvent(sse, streamContext);
        if (event === undefined) continue;
        if (event.type === 'error') {
          yield { type: 'error', error: mapAnthropicStreamError(event, streamContext) };
          return;
        }
        yield* accumulator.push(event);
      }
    } catch (error) {
      // A socket that breaks after message_stop has already delivered the whole answer.
      if (!accumulator.finished) {
        yield { type: 'error', error: bodyReadError(error, errorContext, statusCode) };
        return;
      }
    }
    if (!accumulator.finished) {
      yield {
        type: 'error',
        error: streamEndedEarlyError('anthropic', account.id, errorContext.url, statusCode, 'message_stop'),
      };
      return;
    }
    yield* accumulator.finalParts({ statusCode, headers });
  }

  private async send(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    stream: boolean,
    errorContext: RequestErrorContext,
  ): Promise<Dispatcher.ResponseData> {
    if (account.provider !== 'anthropic') {
      throw new ProviderError({
        kind: 'invalid_request',
        provider: 'anthropic',
        message: `account "${account.id}" is a ${account.provider} account, not an anthropic one`,
      });
    }
    const body: JsonObject = { ...executeRequest.body, stream };
    if (body.model === undefined) body.model = executeRequest.model;
    try {
      return await request(errorContext.url, {
        method: 'POST',
        headers: stream ? perAccount(account).headers.stream : perAccount(account).headers.json,
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

  private errorContext(account: Account, options: ExecuteOptions): RequestErrorContext & { url: string } {
    const { context } = perAccount(account);
    return options.signal === undefined ? context : { ...context, signal: options.signal };
  }
}

/** What every call of an account shares (URL, headers, error context), worked out once per account. */
interface AccountCall {
  context: RequestErrorContext & { url: string };
  headers: { json: Record<string, string>; stream: Record<string, string> };
}

const calls = new WeakMap<Account, AccountCall>();
function perAccount(account: Account): AccountCall {
  let found = calls.get(account);
  if (found === undefined) {
    found = {
      context: {
        provider: 'anthropic',
        url: anthropicMessagesUrl(account),
        accountId: account.id,
        ...(account.proxy === undefined ? {} : { proxy: account.proxy }),
        timeouts: account.timeouts,
      },
      headers: {
        json: anthropicRequestHeaders(account, { stream: false }),
        stream: anthropicRequestHeaders(account, { stream: true }),
      },
    };
    calls.set(account, found);
  }
  return found;
}
