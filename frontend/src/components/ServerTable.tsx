import { Table, type TableProps } from 'antd';
import { useState, type DependencyList } from 'react';
import type { Page } from '../api/client';
import { useI18n } from '../i18n';
import { ErrorAlert } from './errors';
import { useAsync } from './hooks';

export interface ServerTableProps<T> extends Omit<TableProps<T>, 'dataSource' | 'pagination' | 'loading'> {
  /** Loads one page; called again whenever `deps` change (back to page 1) or the page changes. */
  fetchPage: (page: number, perPage: number) => Promise<Page<T>>;
  deps: DependencyList;
  defaultPerPage?: number;
  testId?: string;
  /** With `expandable`: every row of each page opens expanded; the user may close one. */
  expandAllRows?: boolean;
}

/** A table paged by the server (`page`, `per_page`, `total`), with loading, empty and error states. */
export function ServerTable<T extends object>({ fetchPage, deps, defaultPerPage = 20, testId, expandAllRows, ...rest }: ServerTableProps<T>) {
  const { t } = useI18n();
  const [perPage, setPerPage] = useState(defaultPerPage);
  const depsKey = JSON.stringify(deps);
  // The page belongs to one set of filters: new filters start again at page 1.
  const [paged, setPaged] = useState({ key: depsKey, page: 1 });
  const page = paged.key === depsKey ? paged.page : 1;
  const setPage = (p: number) => setPaged({ key: depsKey, page: p });
  const res = useAsync(() => fetchPage(page, perPage), [page, perPage, depsKey]);
  const [closed, setClosed] = useState<Set<string>>(new Set());
  const idOf = (r: T) => String((r as { id?: unknown }).id);
  const expandable = expandAllRows && rest.expandable ? {
    ...rest.expandable,
    expandedRowKeys: (res.data?.items ?? []).map(idOf).filter((k) => !closed.has(k)),
    onExpand: (open: boolean, r: T) => setClosed((c) => { const n = new Set(c); if (open) n.delete(idOf(r)); else n.add(idOf(r)); return n; }),
  } : rest.expandable;
  return (
    <div data-testid={testId}>
      {res.error ? <ErrorAlert error={res.error} onRetry={res.reload} /> : null}
      <Table<T>
        size="small"
        bordered
        rowKey={'id' as never}
        scroll={{ x: 'max-content' }}
        {...rest}
        expandable={expandable}
        loading={res.loading}
        dataSource={res.data?.items ?? []}
        pagination={{
          current: page,
          pageSize: perPage,
          total: res.data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [10, 20, 50, 100, 200],
          showTotal: (n) => (res.data?.total_is_exact === false ? t('common.totalAtLeast', { n }) : t('common.total', { n })),
          onChange: (p, s) => {
            if (s !== perPage) {
              setPerPage(s);
              setPage(1);
            } else setPage(p);
          },
          size: 'small',
        }}
      />
    </div>
  );
}
