/** The words of an error for a person: the API's own message where it has one. */
import { ApiError } from "../../lib/errors";

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    const detail = error.detail;
    if (typeof detail === "object" && detail !== null && !Array.isArray(detail)) {
      const message = (detail as { message?: unknown }).message;
      if (typeof message === "string") return message;
    }
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
