/**
 * HTML built on the server: the `html` tag escapes every value it is given (text from Redis, a
 * batch's metadata, a custom_id, an error message) unless it is already `Html` (made by `html`
 * or `raw`); arrays are joined. The layout is the frame of every page.
 */
import type { FastifyReply } from 'fastify';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

/** Markup made by relayq itself (an SVG chart), inserted as it is. */
export function raw(text: string): Html {
  return new Html(text);
}

export interface Viewer {
  keyName: string;
  tenant: string;
  admin: boolean;
  csrf: string;
}

const sections = [
  ['/', 'Overview'],
  ['/batches', 'Batches'],
  ['/accounts', 'Accounts'],
  ['/usage', 'Usage'],
  ['/queues', 'Queues'],
] as const;

/** A whole page: head, navigation, the viewer and a logout button, then the body. */
export function layout(title: string, viewer: Viewer | null, current: string, body: Html): Html {
  const nav = viewer
    ? html`<nav>
        <a class="brand" href="/">relayq</a>
        ${sections.map(([href, label]) => html`<a href="${href}"${current === href ? raw(' aria-current="page"') : ''}>${label}</a>`)}
        <span class="who">${viewer.keyName} · ${viewer.admin ? 'admin' : `tenant ${viewer.tenant}`}</span>
        <form method="post" action="/logout"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button>Log out</button></form>
      </nav>`
    : html`<nav><a class="brand" href="/">relayq</a></nav>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · relayq</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/htmx.min.js"></script>
${viewer ? html`<meta name="csrf-token" content="${viewer.csrf}">` : ''}
</head>
<body hx-headers='${viewer ? JSON.stringify({ 'x-csrf-token': viewer.csrf }) : '{}'}'>
${nav}
<main>
${body}
</main>
</body>
</html>`;
}

/** A number for people: 1234567 -> "1.23M". */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(abs < 10 ? 2 : 1);
}

export function money(n: number | null, currency = 'USD'): string {
  if (n === null) return 'unknown';
  return `${currency === 'USD' ? '$' : `${currency} `}${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
}

/** "3 min", "2 h 5 min": a duration in ms. */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "5 min ago" for an ISO time. */
export function ago(iso: string | null, now = Date.now()): string {
  if (iso === null) return '–';
  return `${duration(now - Date.parse(iso))} ago`;
}

/** Sends a whole page, never cached (it shows live state). */
export function sendPage(reply: FastifyReply, title: string, viewer: Viewer | null, current: string, body: Html, code = 200): FastifyReply {
  return reply
    .code(code)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(layout(title, viewer, current, body).text);
}
