/** What several providers read from a request the same way: a bearer token, a query parameter. */
import type { IncomingHttpHeaders } from 'node:http';

/** The token of `authorization: Bearer <token>`; undefined without one (or with an empty one). */
export function bearerTokenOf(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.length > 7 && /^bearer /i.test(authorization)) {
    const token = authorization.slice(7).trim();
    if (token !== '') return token;
  }
  return undefined;
}

/** A query parameter of a request URL (path and query), or null. */
export function queryParam(url: string | undefined, name: string): string | null {
  const query = url?.indexOf('?') ?? -1;
  return url === undefined || query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get(name);
}
