import { useCallback } from "react";
import { useSearchParams } from "react-router";

/** limit/offset for a paginated list, the offset kept in the URL (`param`). */
export function usePagination(limit = 20, param = "offset") {
  const [search, setSearch] = useSearchParams();
  const raw = Number(search.get(param) ?? 0);
  const offset = Number.isFinite(raw) && raw > 0 ? Math.floor(raw) : 0;
  const setOffset = useCallback(
    (next: number) =>
      setSearch(
        (current) => {
          const copy = new URLSearchParams(current);
          if (next > 0) copy.set(param, String(next));
          else copy.delete(param);
          return copy;
        },
        { replace: false },
      ),
    [param, setSearch],
  );
  return { limit, offset, setOffset };
}
