import type { Target } from './targets.js';

/**
 * An SVG bar chart of every target: each bar is the measured ratio against its limit (1.0 = the limit itself),
 * with the target marked, green when met and red when not. Hand-written SVG: no chart library, no browser.
 */
export function targetChart(targets: Target[]): string {
  const rowHeight = 28;
  const labelWidth = 430;
  const barWidth = 360;
  const top = 40;
  const height = top + targets.length * rowHeight + 40;
  const width = labelWidth + barWidth + 150;
  const maxRatio = Math.max(1.5, ...targets.map((t) => Math.min(t.ratio, 30)), ...targets.map((t) => t.target)) * 1.05;
  const x = (ratio: number) => labelWidth + (Math.min(ratio, maxRatio) / maxRatio) * barWidth;
  const rows = targets.map((t, i) => {
    const y = top + i * rowHeight;
    const colour = t.pass ? '#2e7d32' : '#c62828';
    const sign = t.direction === 'atLeast' ? '≥' : '≤';
    return [
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escape(t.name)}</text>`,
      `<rect x="${labelWidth}" y="${y + 5}" width="${Math.max(1, x(t.ratio) - labelWidth).toFixed(1)}" height="16" fill="${colour}"/>`,
      `<line x1="${x(t.target).toFixed(1)}" x2="${x(t.target).toFixed(1)}" y1="${y + 1}" y2="${y + 25}" stroke="#000" stroke-width="2"/>`,
      `<text x="${labelWidth + barWidth + 8}" y="${y + 17}">${t.ratio.toFixed(2)} (${sign} ${t.target}) ${t.pass ? 'pass' : 'FAIL'}</text>`,
    ].join('');
  });
  const one = x(1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Gatehouse: each scenario as a ratio of its limit (black mark: target)</text>`,
    `<line x1="${one.toFixed(1)}" x2="${one.toFixed(1)}" y1="${top - 6}" y2="${height - 30}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="${one.toFixed(1)}" y="${height - 16}" text-anchor="middle" fill="#666">1.0 = the limit</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
