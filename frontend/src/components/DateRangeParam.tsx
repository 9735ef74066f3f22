import { DatePicker } from 'antd';
import dayjs from 'dayjs';
import { useSearchParams } from 'react-router-dom';

/** A from–to date filter kept in the page's URL (`from`, `to`, YYYY-MM-DD), either end open. */
export function DateRangeParam({ fromKey = 'from', toKey = 'to' }: { fromKey?: string; toKey?: string }) {
  const [params, setParams] = useSearchParams();
  const from = params.get(fromKey);
  const to = params.get(toKey);
  return (
    <DatePicker.RangePicker allowEmpty={[true, true]} value={[from ? dayjs(from) : null, to ? dayjs(to) : null]}
      onChange={(_, s) => {
        const p = new URLSearchParams(params);
        for (const [k, v] of [[fromKey, s?.[0]], [toKey, s?.[1]]] as const) { if (v) p.set(k, v); else p.delete(k); }
        setParams(p, { replace: true });
      }} />
  );
}
