// Small statistics helpers: percentiles over latency samples, throughput, ratios.

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile (q in 0..1) of a sorted sample; 0 for an empty one. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples: number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    p50: percentile(s, 0.5),
    p99: percentile(s, 0.99),
    mean: s.length ? sum / s.length : 0,
    min: s[0] ?? 0,
    max: s[s.length - 1] ?? 0,
  };
}

export const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** a / b, rounded for reports; NaN-safe (0 when b is 0). */
export function ratio(a: number, b: number, digits = 3): number {
  if (!b || !Number.isFinite(a) || !Number.isFinite(b)) return 0;
  return round(a / b, digits);
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const mib = (bytes: number) => round(bytes / (1024 * 1024), 1);
