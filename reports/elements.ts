// reports/elements.ts — the element-table view: set/counter/bank results (and Jepsen-style element arrays) as tables.
import type { ElementRow, ElementTable } from '../checker/elements.ts';

/** ELEMENT_ARRAY_NAMES: Jepsen-style result fields shown as element tables. */
export const ELEMENT_ARRAY_NAMES = ['lost', 'unexpected', 'stale', 'duplicated', 'recovered'] as const;

const ROWS_MAX = 1000;

/** isElementsResult recognises a result with element tables or element arrays. */
export function isElementsResult(value: Record<string, unknown>): boolean {
  if (Array.isArray(value.elementTables)) return true;
  return ELEMENT_ARRAY_NAMES.some((name) => Array.isArray(value[name]));
}

/** elementTablesOf normalises an ElementsResult to tables (rows capped at 1000 each). */
export function elementTablesOf(value: Record<string, unknown>): ElementTable[] {
  const tables: ElementTable[] = [];
  if (Array.isArray(value.elementTables)) {
    for (const table of value.elementTables as unknown[]) {
      if (table === null || typeof table !== 'object') continue;
      const t = table as Partial<ElementTable>;
      const rows = Array.isArray(t.rows) ? t.rows.map(toRow) : [];
      tables.push(capped({ name: String(t.name ?? 'elements'), description: t.description, rows, total: t.total }));
    }
  }
  for (const name of ELEMENT_ARRAY_NAMES) {
    const items = value[name];
    if (!Array.isArray(items)) continue;
    tables.push(capped({ name, rows: items.map(toRow) }));
  }
  return tables;
}

function capped(table: ElementTable): ElementTable {
  const total = table.total ?? table.rows.length;
  return { ...table, rows: table.rows.slice(0, ROWS_MAX), total };
}

/** toRow accepts an ElementRow or a bare element. */
function toRow(item: unknown): ElementRow {
  if (item !== null && typeof item === 'object' && !Array.isArray(item) && 'element' in item) {
    const r = item as Record<string, unknown>;
    const row: ElementRow = { element: r.element };
    if (typeof r.key === 'string' || typeof r.key === 'number') row.key = r.key;
    if (Array.isArray(r.opIndexes)) row.opIndexes = r.opIndexes.filter((i): i is number => Number.isSafeInteger(i));
    if (typeof r.detail === 'string') row.detail = r.detail;
    return row;
  }
  return { element: item };
}
