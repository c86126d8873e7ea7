/**
 * One error class for every provider. The worker decides what to do from `kind` alone.
 */
export const errorKinds = [
  'rate_limited',
  'overloaded',
  'server',
  'network',
  'timeout',
  'auth',
  'permission',
  'invalid_request',
  'not_found',
  'context_length',
  'content_filter',
  'cancelled',
] as const;
export type ErrorKind = (typeof errorKinds)[number];

const retryableKinds: ReadonlySet<ErrorKind> = new Set(['rate_limited', 'overloaded', 'server', 'network', 'timeout']);

export interface ProviderErrorInit {
  kind: ErrorKind;
  message: string;
  provider: string;
  statusCode?: number;
  retryAfterMs?: number;
  /** The provider's error body as it arrived (parsed JSON when it was JSON). */
  rawBody?: unknown;
  /** Overrides the default for the kind (e.g. an insufficient-quota 429 is not retryable). */
  retryable?: boolean;
  /** Upstream headers of interest (rate-limit headers, request id), lower-case names. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly kind: ErrorKind;
  readonly provider: string;
  readonly retryable: boolean;
  readonly statusCode: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly rawBody: unknown;
  readonly headers: Record<string, string>;

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.kind = init.kind;
    this.provider = init.provider;
    this.statusCode = init.statusCode;
    this.retryAfterMs = init.retryAfterMs;
    this.rawBody = init.rawBody;
    this.headers = init.headers ?? {};
    this.retryable = init.retryable ?? retryableKinds.has(init.kind);
  }

  /** The shape stored in a result's `error` field. */
  toJSON(): { kind: ErrorKind; message: string; status_code: number | null } {
    return { kind: this.kind, message: this.message, status_code: this.statusCode ?? null };
  }
}

export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError;
}

/** The kind a bare HTTP status means when the body says nothing more specific. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 413) return 'context_length';
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status >= 500) return 'server';
  return 'invalid_request';
}
