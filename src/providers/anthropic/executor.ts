/**
 * The Anthropic Messages executor: one POST per request over the account's shared dispatcher,
 * as JSON (`execute`) or as an event stream (`executeStream`). The send/read/check sequence is
 * shared (providers/shared/call.ts, stream.ts); this file says where a call goes and how its
 * answers are read.
 */
import type { Credential, CredentialSource } from '../../executors/credentials.ts';
import type { Account, ExecuteOptions, ExecuteRequest, JsonObject } from '../../executors/types.ts';
import type { SseEvent } from '../../http/sse.ts';
import { callErrorContext, jsonResponse, type ApiCall, type CallErrorContext } from '../shared/call.ts';
import { HttpExecutor, type ProviderHandlers } from '../shared/executor.ts';
import { noParts, streamReader, type StreamReader } from '../shared/stream.ts';
import type { AnswerContext } from '../shared/response.ts';
import type { AnthropicAccount } from './account.ts';
import { anthropicOAuthSource } from './oauth.ts';
import { anthropicMessagesUrl, anthropicRequestHeaders, pickAnthropicHeaders } from './api.ts';
import { mapAnthropicHttpError, mapAnthropicStreamError } from './map-error.ts';
import { mapAnthropicMessage } from './map-response.ts';
import { AnthropicStreamAccumulator, parseAnthropicStreamEvent } from './map-stream.ts';
import { anthropicMessageSchema } from './schemas.ts';

const handlers: ProviderHandlers<ApiCall, SseEvent> = {
  pickHeaders: pickAnthropicHeaders,
  failed: mapAnthropicHttpError,
  successful: jsonResponse(anthropicMessageSchema, 'a Messages API message', mapAnthropicMessage),
  reader: anthropicSseReader,
};

export class AnthropicExecutor extends HttpExecutor<ApiCall, SseEvent> {
  readonly provider = 'anthropic' as const;
  protected readonly handlers = handlers;

  protected prepare(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    stream: boolean,
    credential?: Credential,
  ): ApiCall {
    const body: JsonObject = { ...executeRequest.body, stream };
    if (body.model === undefined) body.model = executeRequest.model;
    const { context, headers } = perAccount(account);
    return {
      account,
      url: context.url,
      headers:
        credential === undefined
          ? stream
            ? headers.stream
            : headers.json
          : anthropicRequestHeaders(account as AnthropicAccount, { stream, accessToken: credential.secret }),
      body: JSON.stringify(body),
      signal: options.signal,
      errorContext: withSignal(context, options),
    };
  }

  /** An `oauth` account's access token comes from its refresh token (oauth.ts). */
  protected override credentialSource(account: Account): CredentialSource | undefined {
    return anthropicOAuthSource(account as AnthropicAccount);
  }

  protected contextBeforeCall(_request: ExecuteRequest, options: ExecuteOptions, account: Account): CallErrorContext {
    return withSignal(perAccount(account).context, options);
  }
}

function withSignal(context: CallErrorContext, options: ExecuteOptions): CallErrorContext {
  return options.signal === undefined ? context : { ...context, signal: options.signal };
}

/** Messages API events up to `message_stop`. */
function anthropicSseReader(context: AnswerContext): StreamReader<SseEvent> {
  const accumulator = new AnthropicStreamAccumulator(context);
  return streamReader(accumulator, 'message_stop', (sse) => {
    const event = parseAnthropicStreamEvent(sse, context);
    if (event === undefined) return noParts;
    if (event.type === 'error') return mapAnthropicStreamError(event, context);
    return accumulator.push(event);
  });
}

/** What every call of an account shares (URL, headers, error context), worked out once per account. */
interface AccountCall {
  context: CallErrorContext;
  headers: { json: Record<string, string>; stream: Record<string, string> };
}

const calls = new WeakMap<Account, AccountCall>();
function perAccount(account: Account): AccountCall {
  let found = calls.get(account);
  if (found === undefined) {
    found = {
      context: callErrorContext('anthropic', account, anthropicMessagesUrl(account), undefined),
      headers: {
        json: anthropicRequestHeaders(account, { stream: false }),
        stream: anthropicRequestHeaders(account, { stream: true }),
      },
    };
    calls.set(account, found);
  }
  return found;
}
