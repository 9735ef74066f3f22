// Chinese texts of the settlement screens: invoices, confirmation, payment batches, ledger (merged into zh.ts).
export const settlementZh = {
  'menu.paymentBatches': '支付批次',
  'menu.ledger': '基金账务',
  'menu.statements': '医院对账单',
  'menu.prepayment': '预付与对账',
} as const;
