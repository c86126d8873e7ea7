/**
 * The executor contract (src/executors/types.ts) written once: `execute` is a shared JSON call,
 * `executeStream` a shared streamed call (or the JSON answer as one part, for requests that do
 * not stream), and the availability methods answer from the scheduler's shared account state.
 * A provider's executor says only what differs: how a call is addressed (`prepare`) and how its
 * answers are read (`json`, `stream`).
 */
import type {
  Account,
  ExecuteOptions,
  ExecuteRequest,
  ExecuteResult,
  Executor,
  ExecutorContext,
  ProviderName,
  StreamPart,
} from '../../executors/types.ts';
import type { Credential, CredentialSource, CredentialStore } from '../../executors/credentials.ts';
import { callJsonApi, checkAccountProvider, type ApiCall, type CallErrorContext, type JsonResponseHandlers } from './call.ts';
import { isCredentialRejection, localCredentialStore } from './credentials.ts';
import { resultAsStream, streamFromApi, type StreamResponseHandlers } from './stream.ts';

/** How a provider's answers are read, JSON and streamed. */
export type ProviderHandlers<Call extends ApiCall, Frame> = JsonResponseHandlers<Call> & StreamResponseHandlers<Call, Frame>;

export abstract class HttpExecutor<Call extends ApiCall, Frame> implements Executor {
  abstract readonly provider: ProviderName;
  /** How the answers of its calls are read. */
  protected abstract readonly handlers: ProviderHandlers<Call, Frame>;

  private ownCredentials: CredentialStore | undefined;

  constructor(protected readonly context: ExecutorContext) {}

  /**
   * URL, headers and body of one call, for an account of this provider (checked before); may
   * sign asynchronously; throws a ProviderError when the account cannot make the call.
   * `credential`: the account's current credential, for an account with a `credentialSource`.
   */
  protected abstract prepare(
    request: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    stream: boolean,
    credential?: Credential,
  ): Call | Promise<Call>;

  /**
   * Where an account's credentials come from when they expire (an OAuth refresh token, a cloud
   * credential chain); undefined for an account whose key or token is what the config says.
   */
  protected credentialSource(_account: Account): CredentialSource | undefined {
    return undefined;
  }

  /** What names a call in an error raised before it has a URL of its own. */
  protected abstract contextBeforeCall(request: ExecuteRequest, options: ExecuteOptions, account: Account): CallErrorContext;

  /** True for a request that does not stream (embeddings): a stream of it is its JSON answer as one `done` part. */
  protected answersAsJson(_request: ExecuteRequest): boolean {
    return false;
  }

  execute(request: ExecuteRequest, options: ExecuteOptions, account: Account): Promise<ExecuteResult> {
    const source = this.sourceOf(account);
    if (source === undefined) return callJsonApi(() => this.checkedPrepare(request, options, account, false), this.handlers);
    return this.executeWithCredential(request, options, account, source);
  }

  executeStream(request: ExecuteRequest, options: ExecuteOptions, account: Account): AsyncGenerator<StreamPart, void, undefined> {
    const before = (): CallErrorContext => this.contextBeforeCall(request, options, account);
    if (this.answersAsJson(request)) return resultAsStream(() => this.execute(request, options, account), before);
    const source = this.sourceOf(account);
    if (source === undefined) return streamFromApi(() => this.checkedPrepare(request, options, account, true), this.handlers, before);
    return this.streamWithCredential(request, options, account, source, before);
  }

  private checkedPrepare(request: ExecuteRequest, options: ExecuteOptions, account: Account, stream: boolean): Call | Promise<Call> {
    checkAccountProvider(account, this.provider);
    return this.prepare(request, options, account, stream);
  }

  /** Whether a call's error says the provider refused the credential itself, so a fresh one may fix it (a 401). */
  protected rejectsCredential(error: unknown): boolean {
    return isCredentialRejection(error);
  }

  /** The account's credential source; none for an account of another provider (refused when the call is prepared). */
  private sourceOf(account: Account): CredentialSource | undefined {
    return account.provider === this.provider ? this.credentialSource(account) : undefined;
  }

  private credentialStore(): CredentialStore {
    if (this.context.credentials !== undefined) return this.context.credentials;
    this.ownCredentials ??= localCredentialStore();
    return this.ownCredentials;
  }

  /**
   * A call with the account's current credential. A 401 to it costs nothing: the store issues a
   * fresh one (once for every worker; another worker may have done it already) and the call is
   * sent once more. A 401 to the fresh one is the provider's answer, and the account's fault.
   */
  private async executeWithCredential(
    request: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    source: CredentialSource,
  ): Promise<ExecuteResult> {
    let used: Credential | undefined;
    const send = (rejected?: string): Promise<ExecuteResult> =>
      callJsonApi(async () => {
        used = await this.credentialStore().current(source, rejected);
        return this.prepare(request, options, account, false, used);
      }, this.handlers);
    try {
      return await send();
    } catch (error) {
      if (!this.rejectsCredential(error) || used === undefined) throw error;
      return send(used.secret);
    }
  }

  /** The same for a stream: a 401 is its first part, before anything else was read. */
  private async *streamWithCredential(
    request: ExecuteRequest,
    options: ExecuteOptions,
    account: Account,
    source: CredentialSource,
    before: () => CallErrorContext,
  ): AsyncGenerator<StreamPart, void, undefined> {
    let used: Credential | undefined;
    const open = (rejected?: string): AsyncGenerator<StreamPart, void, undefined> =>
      streamFromApi(
        async () => {
          used = await this.credentialStore().current(source, rejected);
          return this.prepare(request, options, account, true, used);
        },
        this.handlers,
        before,
      );
    const first = open();
    const head = await first.next();
    if (head.done === true) return;
    if (head.value.type === 'error' && this.rejectsCredential(head.value.error) && used !== undefined) {
      await first.return();
      yield* open(used.secret);
      return;
    }
    yield head.value;
    yield* first;
  }

  async isAvailable(model?: string): Promise<boolean> {
    return (await this.getAvailableAccountsCount(model)) > 0;
  }

  async getAvailableAccountsCount(model?: string): Promise<number> {
    const { availability } = this.context;
    if (availability === undefined)
      throw new Error(`the ${this.provider} executor was made without an availability reader (ExecutorContext.availability)`);
    return (await availability.read(this.provider, model)).available;
  }
}
