/**
 * Which addresses a webhook may be delivered to. Loopback, private, link-local (cloud metadata at
 * 169.254.169.254), CGNAT, multicast, reserved and unspecified ranges are refused unless config
 * `webhooks.allowPrivateNetworks` is set or the URL's host is in `webhooks.allowHosts`. The check
 * is made on the address actually connected to (see dispatcher.ts), IPv4-mapped IPv6 addresses
 * as the IPv4 address they carry.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface AddressPolicy {
  allowPrivateNetworks: boolean;
  /** Host names (or literal addresses) delivered to whatever they resolve to. */
  allowHosts: readonly string[];
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (dns.lookup, so /etc/hosts counts); replaceable in tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** A webhook URL or address that relayq will not deliver to; the message says why. */
export class WebhookAddressError extends Error {}

const v4Ranges: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const v6Ranges: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'],
  ['64:ff9b::', 96, 'NAT64'],
  ['64:ff9b:1::', 48, 'NAT64'],
  ['100::', 64, 'reserved'],
  ['2001:db8::', 32, 'reserved'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const lists = [...v4Ranges.map(([net, bits, why]) => ({ why, list: subnet(net, bits, 'ipv4') }))].concat(
  v6Ranges.map(([net, bits, why]) => ({ why, list: subnet(net, bits, 'ipv6') })),
);

function subnet(net: string, bits: number, type: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  list.addSubnet(net, bits, type);
  return list;
}

/** An address without brackets or zone, an IPv4-mapped IPv6 address as its IPv4 address. */
export function normalizeAddress(address: string): ResolvedAddress {
  let text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) return { address: text, family: 4 };
  if (family !== 6) throw new WebhookAddressError(`"${address}" is not an IP address`);
  const groups = expandIpv6(text);
  // ::ffff:a.b.c.d (IPv4-mapped): the IPv4 address is what the connection reaches.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const high = groups[6] ?? 0;
    const low = groups[7] ?? 0;
    return { address: `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, family: 4 };
  }
  return { address: groups.map((group) => group.toString(16)).join(':'), family: 6 };
}

function expandIpv6(text: string): number[] {
  let body = text.toLowerCase();
  // A dotted IPv4 tail (::ffff:127.0.0.1) becomes its two 16-bit groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.slice(1).map(Number);
    body = `${body.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = body.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array.from({ length: missing }, () => 0), ...right];
}

/** Why this address is refused by default ("loopback", "private", ...), or null for a public one. */
export function refusedRange(address: string): string | null {
  const normal = normalizeAddress(address);
  const type = normal.family === 4 ? 'ipv4' : 'ipv6';
  for (const { why, list } of lists) if (list.check(normal.address, type)) return why;
  return null;
}

/** The URL of a webhook, checked for form: http(s), a host, no credentials in it. */
export function parseWebhookUrl(text: string): URL {
  if (text.length > maxUrlLength) throw new WebhookAddressError(`a webhook URL may have at most ${maxUrlLength} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookAddressError(`webhook URL "${text}" is not a URL (want http:// or https://...)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookAddressError(`webhook URL "${text}" must be http:// or https://, not ${url.protocol}`);
  if (url.hostname === '') throw new WebhookAddressError(`webhook URL "${text}" has no host`);
  if (url.username !== '' || url.password !== '')
    throw new WebhookAddressError(`webhook URL "${url.host}" must not carry a user name or password`);
  return url;
}

function hostAllowed(hostname: string, policy: AddressPolicy): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return policy.allowPrivateNetworks || policy.allowHosts.some((allowed) => allowed.toLowerCase().replace(/^\[|\]$/g, '') === host);
}

/**
 * The address to connect to for `hostname`: a literal address as it is, else the first address
 * the resolver gives that the policy allows. Refused when every address is in a refused range.
 */
export async function allowedAddress(hostname: string, policy: AddressPolicy, resolver: Resolver): Promise<ResolvedAddress> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(bare) !== 0;
  const candidates = literal ? [normalizeAddress(bare)] : (await resolver(bare)).map((found) => normalizeAddress(found.address));
  if (candidates.length === 0) throw new Error(`webhook host ${bare} resolves to no address`);
  if (hostAllowed(hostname, policy)) return candidates[0] as ResolvedAddress;
  for (const candidate of candidates) if (refusedRange(candidate.address) === null) return candidate;
  const first = candidates[0] as ResolvedAddress;
  const where = literal ? `${first.address}` : `${bare} (${first.address})`;
  throw new WebhookAddressError(
    `webhook address ${where} is ${article(refusedRange(first.address) ?? 'refused')} address; relayq does not deliver there ` +
      'unless config webhooks.allowPrivateNetworks is true or the host is in webhooks.allowHosts',
  );
}

function article(range: string): string {
  return `${/^[aeiou]/.test(range) ? 'an' : 'a'} ${range}`;
}

/**
 * The check made when a webhook URL is given (submit, `webhooks add`): its form, and, when its
 * host resolves, the addresses it resolves to. Nothing is connected to. A host that does not
 * resolve now is accepted (its deliveries fail with the reason, and are retried).
 */
export async function checkWebhookUrl(text: string, policy: AddressPolicy, resolver: Resolver = systemResolver): Promise<URL> {
  const url = parseWebhookUrl(text);
  try {
    await allowedAddress(url.hostname, policy, resolver);
  } catch (error) {
    if (error instanceof WebhookAddressError) throw error;
  }
  return url;
}

const maxUrlLength = 2048;
/** Callback URLs one batch may have. */
export const maxBatchWebhooks = 10;

const refuseAll: AddressPolicy = { allowPrivateNetworks: false, allowHosts: [] };

/** The callback URLs of a batch, checked (checkWebhookUrl) and without repeats. */
export async function checkWebhookUrls(
  urls: readonly string[],
  policy: AddressPolicy = refuseAll,
  resolver: Resolver = systemResolver,
): Promise<string[]> {
  if (urls.length > maxBatchWebhooks)
    throw new WebhookAddressError(
      `a batch may have at most ${maxBatchWebhooks} webhook URLs, not ${urls.length} (register endpoints with relayq webhooks add)`,
    );
  const checked: string[] = [];
  for (const url of urls) checked.push((await checkWebhookUrl(url, policy, resolver)).href);
  return [...new Set(checked)];
}
