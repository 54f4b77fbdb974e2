// An operator's view of a Stack in the shape of `netstat -tn` (Proto Recv-Q Send-Q Local Address
// Foreign Address State) followed by the per-state counts, like the classic
// `netstat -n | awk '/^tcp/ {++S[$NF]} END {for (a in S) print a, S[a]}'`.
// Rows come from netstat_row, counts from netstat_count (docs/ABI.md "Operator view").
import { LISTEN } from './abi.ts';
import type { NetstatRow, Stack } from './stack.ts';

const COLUMNS = ['Proto', 'Recv-Q', 'Send-Q', 'Local Address', 'Foreign Address', 'State'] as const;

/** One row's cells. A listener's foreign address prints as `0.0.0.0:*`, as netstat does. */
export function rowCells(r: NetstatRow): string[] {
  const foreign = r.state === LISTEN ? '0.0.0.0:*' : `${r.remoteIp}:${r.remotePort}`;
  return ['tcp', String(r.recvQueue), String(r.sendQueue), `${r.localIp}:${r.localPort}`, foreign, r.stateName];
}

/** The table, columns padded to their widest cell. */
export function formatRows(rows: readonly NetstatRow[]): string {
  const table = [[...COLUMNS], ...rows.map(rowCells)];
  const widths = COLUMNS.map((_, c) => Math.max(...table.map((line) => line[c].length)));
  return table.map((line) => line.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
    .join('  ').trimEnd()).join('\n');
}

/** 'ESTABLISHED 3', one line per state with a non-zero count. */
export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join('\n');
}

/** The full report for a stack: table, blank line, per-state counts. */
export function netstat(stack: Stack): string {
  const counts = formatCounts(stack.netstatCounts());
  return `${formatRows(stack.netstatRows())}\n\n${counts || '(no connections)'}`;
}
