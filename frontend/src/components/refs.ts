import { api, unwrap } from '../api/client';
import { fetchAll } from '../api/lists';
import { useAsync } from './hooks';

/** Reference lists for pickers (small: a region's organisations, batches, products). */
export function useOrgs(kind: 'platform' | 'bureau' | 'hospital' | 'enterprise') {
  return useAsync(() => fetchAll((page, per_page) => unwrap(api.GET('/api/v1/organizations', { params: { query: { page, per_page, kind } } }))), [kind]);
}
export function useBatches() {
  return useAsync(() => fetchAll((page, per_page) => unwrap(api.GET('/api/v1/batches', { params: { query: { page, per_page } } }))), []);
}
export function useProducts() {
  return useAsync(() => fetchAll((page, per_page) => unwrap(api.GET('/api/v1/products', { params: { query: { page, per_page } } }))), []);
}
export function useBids() {
  return useAsync(() => fetchAll((page, per_page) => unwrap(api.GET('/api/v1/winning-bids', { params: { query: { page, per_page } } }))), []);
}

/** A money string the API accepts: digits with at most `decimals` decimals. */
export const moneyPattern = (decimals: number) => new RegExp(`^\\d+(\\.\\d{1,${decimals}})?$`);
