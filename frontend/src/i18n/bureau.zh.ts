// Chinese texts of the bureau's monitoring, retention and job screens (merged into zh.ts).
export const bureauZh = {
  'menu.monitoring': '执行监测',
  'menu.retention': '结余留用',
  'menu.jobs': '定时任务',
} as const;
