import type { Target } from './targets.js';

/** The ratio axis runs on a log scale over this range, so 0.1 and 20× both read well. */
const AXIS_MIN = 0.05;
const AXIS_MAX = 40;
const GRID = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20];

/**
 * An SVG bar chart of every target: each bar is the measured value as a ratio of its limit (1.0 = the limit itself),
 * on a log axis, with the target marked; green when met, red when not. Hand-written SVG: no chart library, no browser.
 */
export function targetChart(targets: Target[]): string {
  const rowHeight = 26;
  const labelWidth = 600;
  const barWidth = 380;
  const top = 44;
  const height = top + targets.length * rowHeight + 44;
  const width = labelWidth + barWidth + 150;
  const x = (ratio: number) => {
    const clamped = Math.min(Math.max(ratio, AXIS_MIN), AXIS_MAX);
    return labelWidth + (Math.log(clamped / AXIS_MIN) / Math.log(AXIS_MAX / AXIS_MIN)) * barWidth;
  };
  const grid = GRID.map((value) => [
    `<line x1="${x(value).toFixed(1)}" x2="${x(value).toFixed(1)}" y1="${top - 6}" y2="${height - 34}" stroke="${value === 1 ? '#666' : '#ddd'}"${value === 1 ? ' stroke-dasharray="4 3"' : ''}/>`,
    `<text x="${x(value).toFixed(1)}" y="${height - 20}" text-anchor="middle" fill="#666">${value}</text>`,
  ].join(''));
  const rows = targets.map((t, i) => {
    const y = top + i * rowHeight;
    const colour = t.pass ? '#2e7d32' : '#c62828';
    const sign = t.direction === 'atLeast' ? '≥' : '≤';
    return [
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(t.name)}</text>`,
      `<rect x="${labelWidth}" y="${y + 5}" width="${Math.max(1, x(t.ratio) - labelWidth).toFixed(1)}" height="14" fill="${colour}"/>`,
      `<line x1="${x(t.target).toFixed(1)}" x2="${x(t.target).toFixed(1)}" y1="${y + 1}" y2="${y + 23}" stroke="#000" stroke-width="2"/>`,
      `<text x="${labelWidth + barWidth + 8}" y="${y + 16}">${t.ratio.toFixed(2)} (${sign} ${t.target}) ${t.pass ? 'pass' : 'FAIL'}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Gatehouse: each scenario as a ratio of its limit (log scale; dashed: 1.0 = the limit; black mark: target)</text>`,
    ...grid,
    ...rows,
    `<text x="${labelWidth + barWidth / 2}" y="${height - 6}" text-anchor="middle" fill="#666">ratio (measured ÷ limit; for the scale rows, 1,000,000 ÷ 1,000 accounts)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
