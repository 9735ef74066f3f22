import type { Page } from './client';

/** Every item of a paged list, 200 at a time (for small reference lists and CSV exports). */
export async function fetchAll<T>(load: (page: number, perPage: number) => Promise<Page<T>>, max = 20_000): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; ; page++) {
    const p = await load(page, 200);
    out.push(...p.items);
    const exhausted = p.items.length < 200 || (p.total_is_exact !== false && out.length >= p.total);
    if (exhausted || out.length >= max) return out;
  }
}
