import { api, unwrap } from './client';

export type DeadlineRule = { rule: 'calendar_days'; days: number } | { rule: 'end_of_next_month' };

/** The region's payment deadline rule in force on `today` (the latest version effective by then). */
export async function deadlineRule(today: string): Promise<DeadlineRule | null> {
  const rows = await unwrap(api.GET('/api/v1/policies'));
  const inForce = rows
    .filter((p) => p.kind === 'payment_deadline' && p.effective_from <= today)
    .sort((a, b) => b.effective_from.localeCompare(a.effective_from))[0];
  if (!inForce) return null;
  try {
    return JSON.parse(inForce.params) as DeadlineRule;
  } catch {
    return null;
  }
}

/** The due date of a payable accepted on `day` (YYYY-MM-DD) under `rule`. */
export function dueDate(day: string, rule: DeadlineRule): string {
  const d = new Date(day + 'T00:00:00Z');
  if (rule.rule === 'calendar_days') return new Date(d.getTime() + rule.days * 86400000).toISOString().slice(0, 10);
  // The last day of the month after the month of acceptance: day 0 of the month after next.
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 2, 0)).toISOString().slice(0, 10);
}
