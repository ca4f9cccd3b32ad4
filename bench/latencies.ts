/** The median and 95th percentile of a bench's latencies, in the unit they were taken in. */
export function percentiles(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: pct(0.5), p95: pct(0.95) };
}
