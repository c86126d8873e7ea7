/** The optional bearer token in front of `/metrics` (config `server.metrics.token`), on the server and on workers. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether an Authorization header presents the token (compared in constant time); true when no token is set. */
export function presentsToken(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}

/** The challenge a 401 from `/metrics` carries. */
export const metricsChallenge = 'Bearer realm="relayq metrics"';
