/**
 * Pay calendars: which days a pay period of each frequency covers and when it is paid.
 * Period `n` counts from January 2024; weekly and bi-weekly periods start on Mondays and
 * are paid the Friday after they end, semi-monthly and monthly ones are paid on the 20th
 * (first half) or the 5th of the next month.
 *
 * @module
 */

/** The pay frequencies the simulator's pay groups use. */
export type Frequency = "weekly" | "bi_weekly" | "semi_monthly" | "monthly";

/** Pay periods per year. */
export const PERIODS_PER_YEAR: Record<Frequency, number> = {
  weekly: 52,
  bi_weekly: 26,
  semi_monthly: 24,
  monthly: 12,
};

/** One pay period. Dates are `YYYY-MM-DD`. */
export interface Period {
  n: number;
  start_date: string;
  end_date: string;
  pay_date: string;
  debit_date: string;
}

const DAY = 86_400_000;
/** A Monday. */
const EPOCH = Date.UTC(2024, 0, 1);

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const utc = (y: number, m: number, d: number) => Date.UTC(y, m, d);

/** The UTC day (YYYY-MM-DD) of a timestamp. */
export function dayOf(ms: number): string {
  return iso(ms);
}

/** Period n of a frequency. */
export function period(freq: Frequency, n: number): Period {
  let start: number, end: number, pay: number;
  if (freq === "weekly" || freq === "bi_weekly") {
    const days = freq === "weekly" ? 7 : 14;
    start = EPOCH + n * days * DAY;
    end = start + (days - 1) * DAY;
    pay = end + 5 * DAY;
  } else {
    const months = freq === "monthly" ? n : Math.floor(n / 2);
    const y = 2024 + Math.floor(months / 12);
    const m = ((months % 12) + 12) % 12;
    const firstHalf = freq === "semi_monthly" && n % 2 === 0;
    const secondHalf = freq === "semi_monthly" && n % 2 !== 0;
    start = utc(y, m, secondHalf ? 16 : 1);
    end = firstHalf ? utc(y, m, 15) : utc(y, m + 1, 0);
    pay = firstHalf ? utc(y, m, 20) : utc(y, m + 1, 5);
  }
  return {
    n,
    start_date: iso(start),
    end_date: iso(end),
    pay_date: iso(pay),
    debit_date: iso(pay - 2 * DAY),
  };
}

/** About how many periods of a frequency lie between the epoch and a day. */
function approx(freq: Frequency, ms: number): number {
  return Math.floor((ms - EPOCH) / DAY / (365.25 / PERIODS_PER_YEAR[freq]));
}

/** The periods of a frequency paid between two days (inclusive), oldest first. */
export function periodsPaid(
  freq: Frequency,
  from: string,
  to: string,
): Period[] {
  const out: Period[] = [];
  const lo = Math.max(0, approx(freq, Date.parse(from)) - 3);
  const hi = approx(freq, Date.parse(to)) + 3;
  for (let n = lo; n <= hi; n++) {
    const p = period(freq, n);
    if (p.pay_date >= from && p.pay_date <= to) out.push(p);
  }
  return out;
}

/** The latest period of a frequency paid on or before a day. */
export function lastPaid(freq: Frequency, today: string): Period {
  let n = approx(freq, Date.parse(today)) + 2;
  while (n > 0 && period(freq, n).pay_date > today) n--;
  return period(freq, n);
}

/** The day a number of days before another. */
export function daysBefore(day: string, days: number): string {
  return iso(Date.parse(day) - days * DAY);
}
