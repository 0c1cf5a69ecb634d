import type { AuditEventRow } from '../audit/audit.repository.js';

/** The CSV's columns, in order; its first line. */
export const AUDIT_CSV_HEADER = ['id', 'time', 'type', 'account_id', 'session_id', 'login_name', 'address', 'actor', 'data'] as const;

/**
 * A CSV cell (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled. A value that begins with
 * = + - @ (or a tab or carriage return) gets a leading `'` first: a spreadsheet would run it as a formula (CSV
 * injection), and an audit event carries text others chose — a typed login name, a User-Agent's parse, a group name.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of the export: the event as `GET /audit` names its fields, the actor (`data.by`) in a column of its own. */
function csvLine(row: AuditEventRow): string {
  const cells = [
    Number(row.id), new Date(Number(row.at)).toISOString(), row.type, row.account_id, row.session_id, row.login_name, row.inet_address, actorOf(row.data), row.data,
  ];
  return cells.map(csvCell).join(',');
}

function actorOf(data: string | null): string | null {
  if (!data) return null;
  try {
    const by = (JSON.parse(data) as Record<string, unknown>).by;
    return typeof by === 'string' ? by : null;
  } catch {
    return null;
  }
}

/** The whole file: the header, then one line per event, CRLF-separated as RFC 4180 has it. */
export function auditCsv(rows: AuditEventRow[]): string {
  return [AUDIT_CSV_HEADER.join(','), ...rows.map(csvLine)].join('\r\n') + '\r\n';
}
