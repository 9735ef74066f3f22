import { App, Form, Input, Modal, Tabs, Typography, type FormInstance } from 'antd';
import { useRef, useState, type ReactNode } from 'react';
import { newIdempotencyKey } from '../api/client';
import { useI18n } from '../i18n';
import { ErrorAlert, useErrorText } from './errors';
import { SheetImport, type ImportKind } from './SheetImport';

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
  /** Offer "import an Excel or CSV file" through the server's import of this kind (needs `bulk`). */
  importKind?: ImportKind;
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
  const [apiError, setApiError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const idem = useRef(newIdempotencyKey());

  const submit = async () => {
    setApiError(undefined);
    let items: B[];
    if (tab === 'json') {
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
      afterClose={() => { setApiError(undefined); setJsonError(undefined); setTab('form'); }}
      confirmLoading={busy} width={tab === 'import' ? Math.max(p.width ?? 640, 900) : p.width ?? 640} destroyOnHidden
      okButtonProps={{ 'data-testid': 'create-submit', style: tab === 'import' ? { display: 'none' } : undefined } as never}>
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
          ...(p.importKind ? [{
            key: 'import', label: t('import.tab'),
            children: <SheetImport kind={p.importKind} onCommitted={(n) => { p.onCreated(n); p.onClose(); }} />,
          }] : []),
        ]} />
      ) : formPane}
    </Modal>
  );
}
