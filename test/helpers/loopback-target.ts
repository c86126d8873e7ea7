/** Where a `Socket#connect` call goes, and whether that stays on this machine (loopback-only.ts uses it). */
import { isIP } from 'node:net';

export const loopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || (isIP(host) === 4 && host.startsWith('127.'));

/** The host a `Socket#connect` call goes to (options, or port and host; a path is local). */
export function connectTarget(args: readonly unknown[]): string {
  const [first, second] = args;
  return typeof first === 'object' && first !== null && !Array.isArray(first)
    ? (first as { host?: string; path?: string }).path === undefined
      ? ((first as { host?: string }).host ?? 'localhost')
      : 'localhost'
    : typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))
      ? typeof second === 'string'
        ? second
        : 'localhost'
      : 'localhost';
}

/** Whether a `Socket#connect` call stays on this machine. */
export function staysLocal(args: readonly unknown[]): boolean {
  return loopback(connectTarget(args));
}
