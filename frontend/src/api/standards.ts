import { api, unwrap, type Ok } from './client';
import { fetchAll } from './lists';

export type StandardView = Ok<'/api/v1/payment-standards/feed', 'get'>['items'][number];
export type StandardDetail = Ok<'/api/v1/payment-standards/{id}', 'get'>;

/** The key a standard and a catalogue row share: the product and the enterprise that sells it. */
export const standardKey = (productId: string, enterpriseId: string) => `${productId}|${enterpriseId}`;

/** The published payment standards in force in the caller's region on `date`, by product and enterprise. */
export async function standardsInForce(date: string): Promise<Map<string, StandardView>> {
  const all = await fetchAll((page, per_page) =>
    unwrap(api.GET('/api/v1/payment-standards/feed', { params: { query: { page, per_page, as_of: date } } })));
  return new Map(all.map((s) => [standardKey(s.product.id, s.enterprise_id), s]));
}
