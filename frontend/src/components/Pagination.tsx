/**
 * Pages of a `Page` answer (items, total, limit, offset). Use with `usePagination()`
 * (src/lib/pagination.ts), which keeps the offset in the URL (?offset=), so a reload
 * or a shared link opens the same page:
 *
 *   const { limit, offset, setOffset } = usePagination(20);
 *   ... api.GET(path, { params: { query: { limit, offset } } })
 *   <Pagination total={page.total} limit={page.limit} offset={page.offset} onChange={setOffset} />
 */
export interface PaginationProps {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
  label?: string;
}

export function Pagination({ total, limit, offset, onChange, label = "Pages" }: PaginationProps) {
  if (total <= limit && offset === 0) return null;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  const hasPrevious = offset > 0;
  const hasNext = offset + limit < total;
  return (
    <nav className="pagination" aria-label={label}>
      <button type="button" disabled={!hasPrevious} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span aria-live="polite">
        {first}–{last} of {total}
      </span>
      <button type="button" disabled={!hasNext} onClick={() => onChange(offset + limit)}>
        Next
      </button>
    </nav>
  );
}
