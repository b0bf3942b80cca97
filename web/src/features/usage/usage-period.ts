/** The periods the Usage view sums over, as the UTC days /usage takes. */
export const usagePeriods = ['today', 'week', 'month', 'all'] as const;
export type UsagePeriod = (typeof usagePeriods)[number];

export const periodLabels: Record<UsagePeriod, string> = { today: 'Today', week: 'Last 7 days', month: 'Last 30 days', all: 'All time' };

/** "in the last 7 days", for sentences. */
export const periodPhrase: Record<UsagePeriod, string> = { today: 'today', week: 'in the last 7 days', month: 'in the last 30 days', all: 'yet' };

/** A UTC day, `daysAgo` before `now`, as YYYY-MM-DD. */
function utcDay(now: Date, daysAgo: number): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysAgo)).toISOString().slice(0, 10);
}

/** The `from` and `to` of a period (none for all time); today counts as one of the 7 or 30 days. */
export function periodRange(period: UsagePeriod, now = new Date()): { from?: string; to?: string } {
  if (period === 'all') return {};
  const back = { today: 0, week: 6, month: 29 }[period];
  return { from: utcDay(now, back), to: utcDay(now, 0) };
}
