import { DownloadOutlined, InboxOutlined } from '@ant-design/icons';
import { Alert, App, Button, Space, Table, Typography, Upload } from 'antd';
import { useRef, useState } from 'react';
import { api, ApiError, newIdempotencyKey, unwrap } from '../api/client';
import { downloadFile } from '../api/download';
import { useI18n } from '../i18n';
import { ErrorAlert, useErrorText } from './errors';

export type ImportKind = 'products' | 'winning-bids' | 'agreed-volumes' | 'listed-products' | 'monthly-settlements' | 'retention-inputs';
type Report = Awaited<ReturnType<typeof preview>>;
type RowError = Report['errors'][number];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function send(kind: ImportKind, file: ArrayBuffer, type: string, commit: boolean, key?: string) {
  return unwrap(api.POST('/api/v1/imports/{kind}', {
    params: { path: { kind }, query: { commit } },
    body: file as never,
    bodySerializer: (b: unknown) => b as BodyInit,
    headers: { 'Content-Type': type, ...(key ? { 'Idempotency-Key': key } : {}) },
  }));
}
const preview = (kind: ImportKind, file: ArrayBuffer, type: string) => send(kind, file, type, false);

/**
 * Excel in: download the template, choose an XLSX or CSV file, read the server's preview (every
 * bad row and column with its reason, the first rows as read), then import all rows, or none.
 */
export function SheetImport({ kind, onCommitted }: { kind: ImportKind; onCommitted: (rows: number) => void }) {
  const { t, tf } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [file, setFile] = useState<{ name: string; body: ArrayBuffer; type: string }>();
  const [report, setReport] = useState<Report>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());

  const choose = async (f: File) => {
    const type = f.name.toLowerCase().endsWith('.csv') ? 'text/csv' : XLSX;
    const body = await f.arrayBuffer();
    setFile({ name: f.name, body, type });
    setReport(undefined);
    setError(undefined);
    setBusy(true);
    try {
      setReport(await preview(kind, body, type));
      key.current = newIdempotencyKey();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const commit = async () => {
    if (!file) return;
    setBusy(true);
    try {
      const done = await send(kind, file.body, file.type, true, key.current);
      message.success(t('import.done', { n: done.rows }));
      onCommitted(done.rows);
    } catch (e) {
      // A refused commit carries its report: show it as the preview would.
      const details = e instanceof ApiError ? (e.details as unknown as Report | undefined) : undefined;
      if (details?.errors) setReport(details);
      setError(e);
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const reason = (e: RowError) => tf('error.' + e.code, e.message);
  const ready = report && report.errors.length === 0 && report.rows > 0;

  return (
    <div data-testid="sheet-import">
      <Space wrap style={{ marginBottom: 8 }}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('import.help')}</Typography.Text>
        <Button size="small" icon={<DownloadOutlined />} data-testid="import-template"
          onClick={() => downloadFile(`/api/v1/imports/${kind}/template`, { format: 'xlsx' }, `${kind}.xlsx`).catch((e) => message.error(errorText(e)))}>
          {t('import.templateXlsx')}
        </Button>
        <Button size="small" type="link" onClick={() => downloadFile(`/api/v1/imports/${kind}/template`, { format: 'csv' }, `${kind}.csv`).catch((e) => message.error(errorText(e)))}>
          {t('import.templateCsv')}
        </Button>
      </Space>
      <Upload.Dragger accept=".xlsx,.csv" maxCount={1} showUploadList={false} beforeUpload={(f) => { void choose(f); return false; }} disabled={busy}>
        <p style={{ margin: 8 }}><InboxOutlined style={{ fontSize: 28, color: '#1f3b73' }} /></p>
        <p style={{ margin: 8 }} data-testid="import-file">{file ? file.name : t('import.choose')}</p>
      </Upload.Dragger>
      {error ? <div style={{ marginTop: 8 }}><ErrorAlert error={error} /></div> : null}
      {report ? (
        <div style={{ marginTop: 12 }} data-testid="import-report">
          <Alert showIcon type={report.errors.length ? 'warning' : 'success'} data-testid="import-summary"
            message={t(report.errors.length ? 'import.summaryBad' : 'import.summaryGood', { rows: report.rows, valid: report.valid_rows, problems: report.errors.length })}
            description={report.columns_ignored.length ? t('import.ignored', { columns: report.columns_ignored.join('、') }) : undefined} />
          {report.errors.length ? (
            <Table<RowError> size="small" style={{ marginTop: 8 }} pagination={{ pageSize: 10, size: 'small', hideOnSinglePage: true }}
              rowKey={(e) => `${e.row}:${e.column}:${e.code}`} dataSource={report.errors} data-testid="import-errors"
              columns={[
                { title: t('import.row'), dataIndex: 'row', width: 70 },
                { title: t('import.column'), dataIndex: 'column', width: 160 },
                { title: t('import.reason'), key: 'r', render: (_, e) => reason(e) },
              ]} />
          ) : null}
          <Typography.Text strong style={{ display: 'block', margin: '8px 0 4px' }}>{t('import.previewTitle')}</Typography.Text>
          <Table size="small" scroll={{ x: 'max-content' }} pagination={false} rowKey="row" dataSource={report.preview} data-testid="import-preview"
            rowClassName={(r) => (report.errors.some((e) => e.row === r.row) ? 'jc-bad' : '')}
            columns={[
              { title: t('import.row'), dataIndex: 'row', width: 60 },
              ...report.columns_used.map((c) => ({ title: c, key: c, render: (_: unknown, r: Report['preview'][number]) => String(r.cells[c] ?? '') })),
            ]} />
          <Space style={{ marginTop: 12 }}>
            <Button type="primary" disabled={!ready} loading={busy} onClick={commit} data-testid="import-commit">
              {t('import.commit', { n: report.rows })}
            </Button>
            {!ready ? <Typography.Text type="secondary">{t('import.fixFirst')}</Typography.Text> : null}
          </Space>
        </div>
      ) : null}
    </div>
  );
}
