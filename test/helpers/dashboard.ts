/** Logging in to the dashboard over plain HTTP (no browser), as its login form does. */
import { expect } from 'vitest';

export function cookiesOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers.getSetCookie().map((line) => line.split(';')[0]!.split('=') as [string, string]));
}

export async function logInOverHttp(
  baseUrl: string,
  key: string,
  next = '/',
): Promise<{ response: Response; session: string | undefined; setCookie: string[] }> {
  const form = await fetch(`${baseUrl}/login`);
  const token = cookiesOf(form).rq_login_csrf!;
  expect((await form.text()).includes(`value="${token}"`)).toBe(true);
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rq_login_csrf=${token}` },
    body: new URLSearchParams({ key, _csrf: token, next }).toString(),
  });
  return { response, session: cookiesOf(response).rq_session, setCookie: response.headers.getSetCookie() };
}

/** A session cookie header for the key, and a GET that sends it. */
export async function dashboardClient(baseUrl: string, key: string) {
  const { session } = await logInOverHttp(baseUrl, key);
  const cookie = `rq_session=${session}`;
  return {
    cookie,
    get: (path: string) => fetch(`${baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' }),
  };
}
