/** Shortens a long hex value for a table column; --json and detail views show it whole. */
export function short(hex: string, keep = 16): string {
  return hex.length > keep + 1 ? `${hex.slice(0, keep)}…` : hex;
}

/** Label/value lines with the values aligned, indented by `indent`. */
export function keyValues(rows: [string, string][], indent = ''): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
}
