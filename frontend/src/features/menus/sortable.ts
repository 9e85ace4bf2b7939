/**
 * Reordering a list of siblings: drag a row onto another (HTML5 drag and drop) or use
 * its Up/Down buttons (keyboard). The new order shows at once and is sent as the whole
 * list (the API's reorder routes take every id once); a refusal puts it back.
 */
import { type DragEvent, useCallback, useId, useState } from "react";

/** The row being dragged, and its list (drops on another list are ignored). */
let dragging: { list: string; id: string } | null = null;

export function moveTo(ids: readonly string[], id: string, targetIndex: number): string[] {
  const rest = ids.filter((x) => x !== id);
  const index = Math.max(0, Math.min(targetIndex, rest.length));
  return [...rest.slice(0, index), id, ...rest.slice(index)];
}

export interface RowDragProps {
  draggable: true;
  onDragStart: (e: DragEvent) => void;
  onDragOver: (e: DragEvent) => void;
  onDragLeave: () => void;
  onDrop: (e: DragEvent) => void;
  onDragEnd: () => void;
  "data-drop-target": boolean | undefined;
  "data-dragging": boolean | undefined;
}

export function useSortable(ids: readonly string[], save: (ids: string[]) => Promise<unknown>) {
  const list = useId();
  const [override, setOverride] = useState<string[] | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [dragged, setDragged] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  // A list changed elsewhere (added, removed) drops a stale override.
  const order =
    override && override.length === ids.length && override.every((id) => ids.includes(id)) ? override : [...ids];

  const reorder = useCallback(
    async (next: string[]) => {
      if (next.join() === order.join()) return;
      setOverride(next);
      setError(null);
      setPending(true);
      try {
        await save(next);
      } catch (e) {
        setError(e);
      } finally {
        setOverride(null);
        setPending(false);
      }
    },
    [order, save],
  );

  const move = (id: string, delta: number) => void reorder(moveTo(order, id, order.indexOf(id) + delta));

  const rowProps = (id: string): RowDragProps => ({
    draggable: true,
    onDragStart: (e) => {
      e.stopPropagation();
      dragging = { list, id };
      setDragged(id);
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", id);
    },
    onDragOver: (e) => {
      if (dragging?.list !== list) return;
      e.preventDefault();
      e.stopPropagation();
      e.dataTransfer.dropEffect = "move";
      if (over !== id) setOver(id);
    },
    onDragLeave: () => setOver((current) => (current === id ? null : current)),
    onDrop: (e) => {
      if (dragging?.list !== list) return;
      e.preventDefault();
      e.stopPropagation();
      const source = dragging.id;
      dragging = null;
      setOver(null);
      setDragged(null);
      if (source !== id) void reorder(moveTo(order, source, order.indexOf(id)));
    },
    onDragEnd: () => {
      dragging = null;
      setOver(null);
      setDragged(null);
    },
    "data-drop-target": over === id || undefined,
    "data-dragging": dragged === id || undefined,
  });

  return { order, move, rowProps, error, pending };
}
