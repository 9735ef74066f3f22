import type { settlementZh } from './settlement.zh';

export const settlementEn: Record<keyof typeof settlementZh, string> = {
  'menu.paymentBatches': 'Payment batches',
  'menu.ledger': 'Fund ledger',
  'menu.statements': 'Hospital statements',
  'menu.prepayment': 'Prepayment & statements',
};
