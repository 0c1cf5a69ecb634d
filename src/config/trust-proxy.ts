/**
 * `server.trustProxy` and `server.trustEveryProxy` (CONTRACT §2): which proxies' `X-Forwarded-For` decides the client
 * address that sessions, lockout, rate limits and the audit log see (Fastify's `request.ip`).
 */
import { isIP } from 'node:net';
import { describeValue } from './durations.js';
import { Invalid, asInteger, field, type Field } from './fields.js';

/**
 * `false` (trust no proxy), a hop count (trust that many proxies nearest to Gatehouse, whoever they are), a list of
 * proxy addresses/CIDRs (trust only peers on it), or `true` (trust every hop; only with `server.trustEveryProxy`).
 */
export type TrustProxy = boolean | number | string[];

/** What Fastify's `trustProxy` option takes; why: proxy-addr's `(address, hop)` is the common form of all four. */
export type FastifyTrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

const ACCEPTED = 'false, a hop count (integer ≥ 0), or a list of proxy addresses/CIDRs';

/** The `server.trustProxy` field; why: YAML, JSON and env values (`1`, `[10.0.0.0/8, ::1]`, `10.0.0.5`) all land here. */
export const trustProxyField: Field<TrustProxy> = field(parseTrustProxy, false);

function parseTrustProxy(raw: unknown): TrustProxy {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return hopCount(raw);
  if (Array.isArray(raw)) return proxyList(raw);
  if (typeof raw !== 'string') throw new Invalid(`must be ${ACCEPTED} (got ${describeValue(raw)})`);
  const text = raw.trim().toLowerCase();
  if (text === 'true' || text === 'on') return true;
  if (text === 'false' || text === 'off') return false;
  if (/^[-+]?\d+(\.\d*)?$/.test(text)) return hopCount(raw);
  // One address, or several separated by commas (`GATEHOUSE_SERVER__TRUST_PROXY=10.0.0.5,10.0.0.6`).
  return proxyList(raw.split(','));
}

function hopCount(raw: unknown): number {
  const hops = asInteger(raw);
  if (hops === undefined || hops < 0) throw new Invalid(`must be ${ACCEPTED} (got ${describeValue(raw)})`);
  return hops;
}

function proxyList(items: readonly unknown[]): string[] {
  if (items.length === 0) throw new Invalid('must list at least one proxy address (or be false)');
  return items.map((item, index) => proxyAddress(item, index));
}

/** One IPv4/IPv6 address, optionally with a prefix length; zone ids (`%eth0`) and netmask forms are refused. */
function proxyAddress(item: unknown, index: number): string {
  const text = typeof item === 'string' ? item.trim() : '';
  const [address = '', prefix, extra] = text.split('/');
  const family = address.includes('%') ? 0 : isIP(address);
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  if (family === 0 || !prefixOk || extra !== undefined) {
    throw new Invalid(`item ${index}: must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8 (got ${describeValue(item)})`);
  }
  return text;
}

/**
 * Refuses `server.trustProxy: true`, or a `/0` range, unless `server.trustEveryProxy` is set.
 * Why: trusting every hop takes the left-most `X-Forwarded-For` entry, which the client writes itself.
 */
export function checkTrustProxy(server: { trustProxy: TrustProxy; trustEveryProxy: boolean }, problems: string[]): void {
  const { trustProxy, trustEveryProxy } = server;
  if (trustEveryProxy) return;
  const remedy = 'give the number of proxies in front (e.g. 1) or their addresses, or also set server.trustEveryProxy: true';
  if (trustProxy === true) {
    problems.push(`server.trustProxy: true trusts every hop, so any client can forge its address with X-Forwarded-For; ${remedy}`);
  } else if (Array.isArray(trustProxy)) {
    // A /0 range is `true` spelled as an address: every peer, the client included, would be a proxy.
    trustProxy.forEach((entry, index) => {
      if (/\/0+$/.test(entry)) problems.push(`server.trustProxy: item ${index}: ${describeValue(entry)} trusts every address like true does; ${remedy}`);
    });
  }
}

/**
 * Maps the setting onto Fastify's `trustProxy` option.
 * Why: Fastify 5 ignores a bare number (it trusts nothing then), so a hop count becomes proxy-addr's `hop < n`.
 */
export function fastifyTrustProxy(setting: TrustProxy): FastifyTrustProxy {
  if (typeof setting === 'boolean') return setting;
  if (Array.isArray(setting)) return [...setting];
  if (setting === 0) return false;
  return (_address, hop) => hop < setting;
}
