import { api, unwrap, type AgreedVolumeView, type BidView, type ListedView, type Me } from './client';
import { fetchAll } from './lists';

/** The hospital's agreed volume for each winning bid, in the agreement year that contains `today`. */
export async function currentVolumes(today: string): Promise<Map<string, AgreedVolumeView>> {
  const all = await fetchAll((page, per_page) =>
    unwrap(api.GET('/api/v1/agreed-volumes', { params: { query: { page, per_page } } })));
  const m = new Map<string, AgreedVolumeView>();
  for (const v of all) if (v.year_start <= today && today <= v.year_end) m.set(v.winning_bid_id, v);
  return m;
}

export type Availability = 'ok' | 'outside_cycle' | 'region_not_supplied';

/** Whether the API would accept an order line for this bid today (cycle and supply region). */
export function bidAvailability(bid: BidView, me: Me, today: string): Availability {
  if (today < bid.cycle_start || today > bid.cycle_end) return 'outside_cycle';
  const codes = me.region ? [me.region.code, me.region.province_code] : [];
  if (!bid.supply_regions.some((r) => codes.includes(r.region_code))) return 'region_not_supplied';
  return 'ok';
}

/** Who may deliver a winning bid: its distributors, or the winning enterprise when it has none. */
export function allowedSuppliers(bid: BidView): { id: string; name: string }[] {
  return bid.distributors.length ? bid.distributors : [{ id: bid.enterprise_id, name: bid.enterprise_name }];
}

/** A listed product is ordered from the enterprise that listed it. */
export function listedSupplier(l: ListedView): { id: string; name: string } {
  return { id: l.enterprise_id, name: l.enterprise_name };
}

export async function allBids(): Promise<BidView[]> {
  return fetchAll((page, per_page) => unwrap(api.GET('/api/v1/winning-bids', { params: { query: { page, per_page } } })));
}
export async function allListed(): Promise<ListedView[]> {
  return fetchAll((page, per_page) => unwrap(api.GET('/api/v1/listed-products', { params: { query: { page, per_page } } })));
}
