/**
 * The API's errors, for forms and screens.
 *
 * Every error answer is `{"error": code, "detail": ...}` (backend/app/core/errors.py).
 * A 422's `detail` is a list of `{loc, msg, type}`: `loc` starts with where the value
 * was (`body`, `query`, `path`, `header`) followed by the field's path, e.g.
 * `["body", "hours", 0, "opens"]`. Forms name their inputs by that path without the
 * first part (`hours.0.opens`), and `describeError` splits an error into the messages
 * shown next to those inputs and one message for everything else (a `FormError`).
 */

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

const LOCATIONS = new Set(["body", "query", "path", "header", "cookie"]);

/** An error answer of the API (or a network failure: status 0, code `network`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: unknown;

  constructor(status: number, code: string, detail: unknown) {
    super(typeof detail === "string" ? detail : ApiError.summary(code, detail));
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }

  /** The field errors of a 422 (empty for other errors). */
  get fieldErrors(): FieldError[] {
    return Array.isArray(this.detail) ? (this.detail as unknown[]).filter(isFieldError) : [];
  }

  private static summary(code: string, detail: unknown): string {
    if (Array.isArray(detail)) {
      const first = detail.find(isFieldError);
      if (first) return `${fieldPath(first.loc) || "request"}: ${cleanMessage(first.msg)}`;
    }
    return code.replace(/_/g, " ");
  }
}

function isFieldError(value: unknown): value is FieldError {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray((value as FieldError).loc) &&
    typeof (value as FieldError).msg === "string"
  );
}

/** Build an `ApiError` from a status and a parsed JSON body (whatever its shape). */
export function toApiError(status: number, body: unknown): ApiError {
  if (typeof body === "object" && body !== null && "error" in body) {
    const { error, detail } = body as { error: unknown; detail?: unknown };
    return new ApiError(status, String(error), detail ?? String(error));
  }
  if (typeof body === "object" && body !== null && "detail" in body) {
    return new ApiError(status, status === 422 ? "invalid" : "error", (body as { detail: unknown }).detail);
  }
  return new ApiError(status, "error", `The server answered ${status}`);
}

/** Pydantic's message without its "Value error, " prefix (a validator's own words). */
export function cleanMessage(msg: string): string {
  return msg.replace(/^(Value|Assertion) error, /, "");
}

/** `["body", "hours", 0, "opens"]` -> `"hours.0.opens"`. */
export function fieldPath(loc: readonly (string | number)[]): string {
  const parts = loc.length > 0 && LOCATIONS.has(String(loc[0])) ? loc.slice(1) : loc;
  return parts.map(String).join(".");
}

export interface DescribedError {
  /** The first message for each field path the form shows. */
  fields: Record<string, string>;
  /** What is not shown at a field, for a `FormError`; null when there is nothing. */
  form: string | null;
}

/**
 * Split an error for a form whose inputs are named `fieldNames` (paths as
 * `fieldPath` spells them). A path under a known field (`hours.0.opens` under `hours`)
 * is shown at that field. Messages of unknown fields go to `form`, with their path, so
 * nothing the API said is lost. Pass `rename` when an input's name differs from the
 * API's field (`{ username: "email" }`).
 */
export function describeError(
  error: unknown,
  fieldNames: readonly string[] = [],
  rename: Record<string, string> = {},
): DescribedError {
  const fields: Record<string, string> = {};
  if (error == null) return { fields, form: null };
  if (!(error instanceof ApiError)) {
    return { fields, form: error instanceof Error ? error.message : String(error) };
  }
  const problems = error.fieldErrors;
  if (problems.length === 0) return { fields, form: error.message };
  const rest: string[] = [];
  for (const problem of problems) {
    let path = fieldPath(problem.loc);
    const head = path.split(".")[0] ?? "";
    if (head in rename) path = [rename[head], ...path.split(".").slice(1)].join(".");
    const known = fieldNames.find((name) => path === name || path.startsWith(`${name}.`));
    const msg = cleanMessage(problem.msg);
    if (known !== undefined) {
      fields[known] ??= msg;
    } else {
      rest.push(path ? `${path}: ${msg}` : msg);
    }
  }
  return { fields, form: rest.length > 0 ? rest.join("\n") : null };
}
