import type { FastifyReply } from 'fastify';
import { Type, type TSchema } from 'typebox';

/** The media type of every account-server resource (seed 000). */
export const HAL_JSON = 'application/hal+json';

/** One HAL link (draft-kelly-json-hal §5). */
export interface HalLink {
  href: string;
  templated?: boolean;
  title?: string;
  name?: string;
}

export type HalLinks = Record<string, HalLink | HalLink[]>;

/** Schema of `_links`: relation names are open-ended, so any key holding a link or a list of links. */
export const HalLinksSchema = Type.Record(Type.String(), Type.Unknown());

/** A HAL resource schema: the resource's own fields plus `_links` (and `_embedded` when given). */
export function halSchema<T extends Record<string, TSchema>>(properties: T, options: { $id?: string; description?: string } = {}) {
  return Type.Object({ ...properties, _links: HalLinksSchema }, options);
}

/** A paged HAL list schema embedding items under their relation (CONTRACT §5: `count`, `total`, paging links). */
export function halListSchema(rel: string, item: TSchema) {
  return Type.Object({
    count: Type.Integer(),
    total: Type.Integer(),
    _links: HalLinksSchema,
    _embedded: Type.Object({ [rel]: Type.Array(item) }),
  });
}

/** The `ec` curie: `ec:accounts` expands to `<baseUrl>/docs/rels/accounts` (seed 000's relation documentation). */
export function curies(baseUrl: string): HalLink[] {
  return [{ name: 'ec', href: `${baseUrl}/docs/rels/{rel}`, templated: true }];
}

/** Adds `_links` to a resource. */
export function hal<T extends object>(resource: T, links: HalLinks): T & { _links: HalLinks } {
  return { ...resource, _links: links };
}

/** Paging input shared by every list: 1-based `page`, `size` items (at most 100). */
export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};

/** Offset and limit for a page. */
export function pageWindow(page = 1, size = 20): { offset: number; limit: number; page: number; size: number } {
  return { offset: (page - 1) * size, limit: size, page, size };
}

/**
 * A paged list: items embedded under `rel`, `self`/`first`/`prev`/`next` links that keep the caller's filters.
 * With `after` (the cursor of the page's last item) the `next` link carries it too, so a client following `next`
 * links reads each page by keyset rather than offset; the other links name page numbers only, and `self` repeats the
 * caller's own `after`.
 */
export function halPage<T>(input: { baseUrl: string; path: string; query: Record<string, unknown>; rel: string; items: T[]; total: number; page: number; size: number; after?: string }) {
  const { baseUrl, path, query, rel, items, total, page, size } = input;
  const href = (p: number, after?: unknown) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && key !== 'page' && key !== 'size' && key !== 'after') params.set(key, String(value));
    }
    params.set('page', String(p));
    params.set('size', String(size));
    if (after !== undefined) params.set('after', String(after));
    return `${baseUrl}${path}?${params}`;
  };
  const links: HalLinks = { self: { href: href(page, query.after) }, first: { href: href(1) }, curies: curies(baseUrl) };
  if (page > 1) links.prev = { href: href(page - 1) };
  if (page * size < total) links.next = { href: href(page + 1, input.after) };
  return { count: items.length, total, _links: links, _embedded: { [rel]: items } };
}

/** Sends a HAL body with its media type. */
export function sendHal(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(HAL_JSON).send(body);
}
