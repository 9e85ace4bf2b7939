/** Small helpers for forms built on plain state (strings in, typed values out). */

/** "" -> null; "12" -> 12; "1.5" or "x" -> NaN (the form refuses it before sending). */
export function toInteger(text: string): number | null {
  const value = text.trim();
  if (value === "") return null;
  return /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
}

/** "" -> null; "12.97" -> 12.97; "x" -> NaN. */
export function toNumber(text: string): number | null {
  const value = text.trim();
  if (value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : Number.NaN;
}

/** Trimmed text, or null when empty (for the API's optional strings). */
export function orNull(text: string): string | null {
  const value = text.trim();
  return value === "" ? null : value;
}

/** "a, b ,c" -> ["a", "b", "c"] */
export function toList(text: string): string[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** Local checks before sending: field path -> message (empty: fine). */
export type LocalErrors = Record<string, string>;

/** Merge local checks over the API's field errors (local ones are newer). */
export function mergeFieldErrors(
  api: Record<string, string>,
  local: LocalErrors,
): Record<string, string> {
  return { ...api, ...local };
}
