// Converters for CSV imports (CreateModal's csvFields): cells arrive as text.

/** A whole number ("1200"); anything else is refused with the cell shown. */
export function int(cell: string): number {
  if (!/^-?\d+$/.test(cell)) throw new Error(`"${cell}" is not a whole number`);
  return Number(cell);
}

/** A list written "a;b;c". */
export function list(cell: string): string[] {
  return cell.split(/[;；]/).map((s) => s.trim()).filter(Boolean);
}

/** Supply regions written "440000:primary;440300:backup" (the role defaults to primary). */
export function regions(cell: string): { region_code: string; role: 'primary' | 'backup' }[] {
  return list(cell).map((r) => {
    const [region_code, role = 'primary'] = r.split(':').map((s) => s.trim());
    if (role !== 'primary' && role !== 'backup') throw new Error(`"${r}": the role is primary or backup`);
    return { region_code, role };
  });
}
