/**
 * The check of an account's `proxy` URL, made when the config is loaded so that a mistake is a
 * config error naming the field instead of a `network` error on every prompt. Messages say what
 * is wrong (scheme, host, port, percent-encoding) and never repeat the user name or password.
 */
import { z } from 'zod';

/** The proxy schemes relayq has dispatchers for (see dispatchers.ts). */
export const proxySchemes = ['http', 'https', 'socks5', 'socks5h'] as const;

const schemeList = 'http://, https://, socks5:// or socks5h://';

/** At most this much of a host or port is quoted in a message. */
const quoteLimit = 40;

function quote(text: string): string {
  const shown = text.length > quoteLimit ? `${text.slice(0, quoteLimit)}...` : text;
  return JSON.stringify(shown);
}

function decodes(part: string): boolean {
  try {
    decodeURIComponent(part);
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a proxy URL, or null when it is fine. */
export function proxyUrlProblem(value: string): string | null {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value);
  if (!scheme) return `must be a URL such as http://host:port (${schemeList})`;
  const name = (scheme[1] as string).toLowerCase();
  if (!(proxySchemes as readonly string[]).includes(name)) return `uses the scheme ${quote(`${name}:`)}; use ${schemeList}`;
  if (/\s/.test(value)) return 'must not contain spaces (percent-encode them in the user name or password as %20)';

  const rest = value.slice(scheme[0].length);
  const authority = rest.split(/[/?#]/, 1)[0] as string;
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;

  if (at >= 0) {
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const password = colon >= 0 ? userinfo.slice(colon + 1) : '';
    if (!decodes(user)) return 'has a user name that is not valid percent-encoding (write % as %25)';
    if (!decodes(password)) return 'has a password that is not valid percent-encoding (write % as %25, @ as %40, : as %3A)';
  }

  const bracketed = /^(\[[^\]]*\])(?::(.*))?$/.exec(hostPort);
  const colon = hostPort.lastIndexOf(':');
  const host = bracketed ? (bracketed[1] as string) : colon >= 0 ? hostPort.slice(0, colon) : hostPort;
  const port = bracketed ? bracketed[2] : colon >= 0 ? hostPort.slice(colon + 1) : undefined;
  if (host === '' || host === '[]') return 'has no host';
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
      return `has the port ${quote(port)}; a port is a number from 1 to 65535`;
  }
  if (rest.length > authority.length && !/^\/?$/.test(rest.slice(authority.length)))
    return 'must not have a path, query or fragment after host:port';

  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return `has a host that is not a valid host name or address (${quote(host)})`;
  }
  if (parsed.hostname === '') return 'has no host';
  return null;
}

/** An account's `proxy` that opts out of the environment's proxy: connections go direct. */
export const noProxy = 'none';

/**
 * An account's `proxy`: http(s):// or socks5(h):// with a host, an optional port and
 * percent-encoded credentials; or `none` (direct, whatever HTTPS_PROXY says).
 */
export const proxyUrlSchema = z.string().superRefine((value, ctx) => {
  if (value === noProxy) return;
  const problem = proxyUrlProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});
