/** Number formats of the report, written once so that every table and note prints a value the same way. */

/** `1,234` or `12.3`: a rate per second; why: thousands read better rounded, small rates need their decimal. */
export function formatRate(n: number): string {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** `<1`, `0.42`, `3.1`, `27`: milliseconds at autocannon's resolution. */
export function formatMs(n: number): string {
  if (n < 1) return n <= 0 ? '<1' : n.toFixed(2);
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}

/** `412 µs`, `1.30 ms`, `12.5 ms`, `130 ms`: a latency timed with performance.now() (µs resolution). */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

/** `1,000,000`: a count. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `+1.2`, `-0.3`: a change in MiB. */
export function formatSigned(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
}
