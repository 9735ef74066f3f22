import type { bureauZh } from './bureau.zh';

export const bureauEn: Record<keyof typeof bureauZh, string> = {
  'menu.monitoring': 'Monitoring',
  'menu.retention': 'Surplus retention',
  'menu.jobs': 'Scheduled jobs',
};
