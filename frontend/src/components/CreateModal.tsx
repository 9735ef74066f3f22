import { App, Form, Input, Modal, Tabs, Typography, Upload, type FormInstance } from 'antd';
import { useRef, useState, type ReactNode } from 'react';
import { newIdempotencyKey } from '../api/client';
import { useI18n } from '../i18n';
import { ErrorAlert, useErrorText } from './errors';

export interface CreateModalProps<V, B> {
  title: string;
  open: boolean;
  onClose: () => void;
  onCreated: (count: number) => void;
  /** The form's fields (antd Form.Items). */
  fields: (form: FormInstance<V>) => ReactNode;
  initialValues?: Partial<V>;
  /** Form values → one request item. */
  toBody: (values: V) => B;
  /** Sends the items (one from the form, or the pasted array) with an Idempotency-Key. */
  send: (items: B[], idempotencyKey: string) => Promise<unknown>;
  /** Offer "paste a JSON array" (for the routes that take an array). */
  bulk?: boolean;
  bulkExample?: unknown[];
  /**
   * Offer "import a CSV file" (needs `bulk`): a header row of the API's field names, a record per
   * row. Cells are strings unless a converter is named here for the field; empty cells are left out.
   */
  csvFields?: Record<string, (cell: string) => unknown>;
  width?: number;
}

/** A create form in a modal, with an optional "paste a JSON array" tab for bulk loads. */
export function CreateModal<V extends object, B>(p: CreateModalProps<V, B>) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [form] = Form.useForm<V>();
  const [tab, setTab] = useState('form');
  const [json, setJson] = useState('');
  const [jsonError, setJsonError] = useState<string>();
  const [csv, setCsv] = useState<{ name: string; items: B[]; error?: string }>();
  const [apiError, setApiError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const idem = useRef(newIdempotencyKey());

  const submit = async () => {
    setApiError(undefined);
    let items: B[];
    if (tab === 'csv') {
      if (!csv || csv.error || csv.items.length === 0) return;
      items = csv.items;
    } else if (tab === 'json') {
      try {
        const parsed: unknown = JSON.parse(json);
        if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('[ … ]');
        items = parsed as B[];
        setJsonError(undefined);
      } catch (e) {
        setJsonError(t('common.bulkJsonInvalid', { msg: e instanceof Error ? e.message : String(e) }));
        return;
      }
    } else {
      let values: V;
      try {
        values = await form.validateFields();
      } catch {
        return;
      }
      items = [p.toBody(values)];
    }
    setBusy(true);
    try {
      await p.send(items, idem.current);
      idem.current = newIdempotencyKey();
      message.success(t('common.created', { n: items.length }));
      form.resetFields();
      setJson('');
      setCsv(undefined);
      p.onCreated(items.length);
      p.onClose();
    } catch (e) {
      idem.current = newIdempotencyKey();
      setApiError(e);
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const formPane = (
    <Form form={form} layout="vertical" initialValues={p.initialValues} requiredMark size="small" data-testid="create-form">
      {p.fields(form)}
    </Form>
  );
  return (
    <Modal open={p.open} title={p.title} onCancel={p.onClose} onOk={submit} okText={t('common.submit')} cancelText={t('common.cancel')}
      confirmLoading={busy} width={p.width ?? 640} destroyOnHidden okButtonProps={{ 'data-testid': 'create-submit' } as never}>
      {apiError ? <ErrorAlert error={apiError} /> : null}
      {p.bulk ? (
        <Tabs activeKey={tab} onChange={setTab} size="small" items={[
          { key: 'form', label: t('common.create'), children: formPane },
          {
            key: 'json', label: t('common.bulkJson'),
            children: (
              <div>
                <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('common.bulkJsonHelp')}</Typography.Paragraph>
                <Input.TextArea rows={12} value={json} onChange={(e) => setJson(e.target.value)} className="jc-json" data-testid="bulk-json"
                  placeholder={p.bulkExample ? JSON.stringify(p.bulkExample, null, 2) : '[ { … } ]'} status={jsonError ? 'error' : undefined} />
                {jsonError ? <Typography.Text type="danger">{jsonError}</Typography.Text> : null}
              </div>
            ),
          },
          ...(p.csvFields ? [{
            key: 'csv', label: t('common.importCsv'),
            children: <CsvImport<B> fields={p.csvFields} example={p.bulkExample} value={csv} onChange={setCsv} />,
          }] : []),
        ]} />
      ) : formPane}
    </Modal>
  );
}

/** Reads a CSV file (UTF-8, with or without a BOM) into request items, converting typed fields. */
function CsvImport<B>({ fields, example, value, onChange }: {
  fields: Record<string, (cell: string) => unknown>;
  example?: unknown[];
  value?: { name: string; items: B[]; error?: string };
  onChange: (v: { name: string; items: B[]; error?: string }) => void;
}) {
  const { t } = useI18n();
  const columns = example?.[0] && typeof example[0] === 'object' ? Object.keys(example[0] as object) : [];
  const read = async (file: File) => {
    const { default: Papa } = await import('papaparse');
    const text = (await file.text()).replace(/^\ufeff/, '');
    const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim() });
    const first = parsed.errors[0];
    if (first) {
      onChange({ name: file.name, items: [], error: t('common.csvInvalid', { row: (first.row ?? 0) + 2, msg: first.message }) });
      return;
    }
    try {
      const items = parsed.data.map((row) => {
        const item: Record<string, unknown> = {};
        for (const [k, raw] of Object.entries(row)) {
          const cell = (raw ?? '').trim();
          if (cell !== '') item[k] = fields[k] ? fields[k](cell) : cell;
        }
        return item as B;
      });
      onChange({ name: file.name, items, error: items.length ? undefined : t('common.csvEmpty') });
    } catch (e) {
      onChange({ name: file.name, items: [], error: e instanceof Error ? e.message : String(e) });
    }
  };
  return (
    <div data-testid="csv-import">
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('common.importCsvHelp')}{columns.length ? <> <code>{columns.join(',')}</code></> : null}
      </Typography.Paragraph>
      <Upload.Dragger accept=".csv,text/csv" maxCount={1} showUploadList={false} beforeUpload={(f) => { void read(f); return false; }}>
        <p style={{ margin: 12 }}>{value ? value.name : t('common.chooseCsv')}</p>
      </Upload.Dragger>
      {value?.error ? <Typography.Text type="danger" data-testid="csv-error">{value.error}</Typography.Text> : null}
      {value && !value.error ? <Typography.Text type="success" data-testid="csv-count">{t('common.csvRows', { n: value.items.length })}</Typography.Text> : null}
    </div>
  );
}
