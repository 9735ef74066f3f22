import { CarOutlined, CheckOutlined, CloseOutlined, StopOutlined } from '@ant-design/icons';
import { App, Button, Form, Input, Modal, Popconfirm, Space } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, unwrap, type OrderSummary } from '../../api/client';
import { useMe } from '../../auth';
import { useErrorText } from '../../components/errors';
import { useI18n } from '../../i18n';

const SHIPPABLE = ['confirmed', 'partially_shipped', 'partially_accepted'];

/**
 * What the caller may do with an order in its state: a supplier confirms or declines a submitted
 * order and ships an open one; a hospital cancels its order while it is still submitted.
 */
export function OrderActions({ order, onDone, compact, openQty }: { order: OrderSummary; onDone: () => void; compact?: boolean; openQty?: number }) {
  const { t } = useI18n();
  const me = useMe();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonTouched, setReasonTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const act = async (f: () => Promise<unknown>, ok: string) => {
    setBusy(true);
    try {
      await f();
      message.success(ok);
      onDone();
      return true;
    } catch (e) {
      message.error(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const path = { params: { path: { id: order.id } } };

  if (me.role === 'supplier' && order.status === 'submitted') {
    return (
      <Space size={4}>
        <Popconfirm title={t('order.confirmConfirm')} onConfirm={() => act(() => unwrap(api.POST('/api/v1/orders/{id}/confirm', path)), t('order.confirmed'))}>
          <Button type="primary" size="small" icon={<CheckOutlined />} loading={busy} data-testid="order-confirm">{t('order.confirm')}</Button>
        </Popconfirm>
        <Button danger size="small" icon={<CloseOutlined />} onClick={() => { setDeclining(true); setReason(''); setReasonTouched(false); }} data-testid="order-decline">{t('order.decline')}</Button>
        <Modal open={declining} title={`${t('order.decline')} ${order.order_no}`} okText={t('order.decline')} okButtonProps={{ danger: true, loading: busy, disabled: !reason.trim() }}
          onCancel={() => setDeclining(false)}
          onOk={async () => {
            setReasonTouched(true);
            if (!reason.trim()) return;
            const ok = await act(() => unwrap(api.POST('/api/v1/orders/{id}/decline', { ...path, body: { reason: reason.trim() } })), t('order.declined'));
            if (ok) setDeclining(false);
          }}>
          <Form layout="vertical">
            <Form.Item label={t('field.declineReason')} required validateStatus={reasonTouched && !reason.trim() ? 'error' : undefined}
              help={reasonTouched && !reason.trim() ? t('error.reason_required') : undefined}>
              <Input.TextArea rows={3} maxLength={500} value={reason} placeholder={t('order.declineReasonPrompt')}
                onChange={(e) => { setReason(e.target.value); setReasonTouched(true); }} data-testid="decline-reason" />
            </Form.Item>
          </Form>
        </Modal>
      </Space>
    );
  }
  if (me.role === 'supplier' && SHIPPABLE.includes(order.status) && (openQty === undefined || openQty > 0)) {
    return <Button size="small" type={compact ? 'default' : 'primary'} icon={<CarOutlined />} onClick={() => navigate(`/orders/${order.id}/ship`)} data-testid="order-ship">{t('order.ship')}</Button>;
  }
  if (me.role === 'hospital_buyer' && order.status === 'submitted') {
    return (
      <Popconfirm title={t('order.confirmCancel')} onConfirm={() => act(() => unwrap(api.POST('/api/v1/orders/{id}/cancel', path)), t('order.cancelled'))}>
        <Button size="small" danger icon={<StopOutlined />} loading={busy} data-testid="order-cancel">{t('order.cancel')}</Button>
      </Popconfirm>
    );
  }
  return null;
}
