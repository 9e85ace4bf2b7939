/**
 * Bulk import: a whole menu from a JSON file (the MenuImport shape: name, tax_classes,
 * categories with items, variants, add-on groups and subcategories). The API checks
 * all of it and writes nothing unless every part is valid; each problem it lists (422,
 * `detail[].loc`) is shown at its path in the file, with the names found on the way.
 */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { FormError } from "../../components/FormError";
import { ApiError, cleanMessage, describeError, fieldPath } from "../../lib/errors";

type Result = Schemas["MenuImportResult"];

/** A small valid file to start from (the MenuImport shape). */
export const EXAMPLE_MENU = {
  name: "Drinks",
  description: "Served from 6 pm",
  tax_classes: [{ name: "Liquor VAT 20%", rate_bps: 2000 }],
  categories: [
    {
      name: "Beer",
      items: [
        {
          name: "House Lager",
          price_minor: 32000,
          is_alcoholic: true,
          abv: 4.8,
          tax_class: "Liquor VAT 20%",
          variants: [
            { name: "330 ml", price_minor: 32000 },
            { name: "Pitcher", price_minor: 120000 },
          ],
        },
      ],
      subcategories: [{ name: "Craft", items: [{ name: "Hefeweizen", price_minor: 38000, is_alcoholic: true, abv: 5.2, ibu: 12 }] }],
    },
    {
      name: "Soft drinks",
      items: [
        {
          name: "Fresh lime soda",
          price_minor: 12000,
          diet: "vegan",
          add_on_groups: [{ name: "Sweet or salted", min_choices: 1, max_choices: 1, add_ons: [{ name: "Sweet" }, { name: "Salted" }] }],
        },
      ],
    },
  ],
};

function downloadExample() {
  const blob = new Blob([JSON.stringify(EXAMPLE_MENU, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = "menu-example.json";
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface ImportProblem {
  /** `categories.0.items.1.price_minor` */
  path: string;
  /** `categories[0] "Starters" › items[1] "Paneer tikka" › price_minor` */
  where: string;
  message: string;
}

/** Each problem of a refused import, at its path in the file (names looked up in `file`). */
export function importProblems(error: unknown, file: unknown): ImportProblem[] {
  if (!(error instanceof ApiError)) return [];
  return error.fieldErrors.map((problem) => {
    const parts = fieldPath(problem.loc).split(".").filter((p) => p !== "");
    const words: string[] = [];
    let node: unknown = file;
    for (let i = 0; i < parts.length; i += 1) {
      const part = parts[i] ?? "";
      const next = parts[i + 1];
      const isIndex = next !== undefined && /^\d+$/.test(next);
      node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
      if (isIndex) {
        node = Array.isArray(node) ? node[Number(next)] : undefined;
        const name = node && typeof node === "object" ? (node as Record<string, unknown>).name : undefined;
        words.push(`${part}[${next}]${typeof name === "string" && name.trim() ? ` “${name}”` : ""}`);
        i += 1;
      } else {
        words.push(part);
      }
    }
    return { path: parts.join("."), where: words.join(" › ") || "the file", message: cleanMessage(problem.msg) };
  });
}

export function ImportMenu({ venueId, onImported }: { venueId: string; onImported: (result: Result) => void }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [parsed, setParsed] = useState<unknown>(null);
  const [replace, setReplace] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      unwrap(
        api.POST("/api/v1/venues/{venue_id}/menus/import", {
          params: { path: { venue_id: venueId }, query: { replace } },
          body,
        }),
      ),
    onSuccess: onImported,
  });

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    upload.reset();
    setLocalError(null);
    if (!file) {
      setLocalError("Choose a JSON file first");
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(await file.text());
    } catch (e) {
      setLocalError(`${file.name} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      setLocalError("The file must hold one menu: an object with a name and categories");
      return;
    }
    setParsed(json);
    upload.mutate(json as Record<string, unknown>);
  }

  const problems = importProblems(upload.error, parsed);
  const otherError =
    upload.error && problems.length === 0
      ? upload.error instanceof ApiError && upload.error.code === "menu_name_taken"
        ? `${upload.error.message}. Tick “Replace the menu of the same name” to replace it.`
        : describeError(upload.error).form
      : null;

  return (
    <form className="card stack" onSubmit={(e) => void onSubmit(e)} noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Import a menu</h2>
      <p className="field__hint">
        A JSON file with the menu's <code>name</code>, its <code>categories</code> (with <code>items</code>,{" "}
        <code>subcategories</code>, <code>variants</code>, <code>add_on_groups</code>) and optional <code>tax_classes</code>.
        Nothing is written unless all of it is valid.{" "}
        <button type="button" className="button--quiet button--small" onClick={downloadExample}>
          Download an example
        </button>
      </p>
      <div className="field">
        <label htmlFor={`${id}-file`}>Menu file (JSON)</label>
        <input
          id={`${id}-file`}
          type="file"
          accept="application/json,.json"
          aria-describedby={localError ? `${id}-local` : undefined}
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setLocalError(null);
            upload.reset();
          }}
        />
        {localError && (
          <p id={`${id}-local`} className="field__error">
            {localError}
          </p>
        )}
      </div>
      <div className="field field--check">
        <label>
          <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> Replace the menu of the same name
        </label>
      </div>
      <div className="toolbar">
        <button type="submit" disabled={upload.isPending}>
          {upload.isPending ? "Importing…" : "Import"}
        </button>
      </div>
      <FormError message={otherError} />
      {problems.length > 0 && (
        <div className="form-error" role="alert">
          <p>
            {file?.name ?? "The file"} was not imported: {problems.length} {problems.length === 1 ? "problem" : "problems"}.
          </p>
          <ul className="import-problems" aria-label="Import problems">
            {problems.map((p, i) => (
              <li key={`${p.path}-${i}`}>
                <code>{p.where}</code>: {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {upload.data && (
        <p role="status" className="ok">
          Imported “{upload.data.menu.name}”{upload.data.replaced ? " (replaced)" : ""}: {upload.data.categories} categories,{" "}
          {upload.data.items} items, {upload.data.variants} variants, {upload.data.add_on_groups} add-on groups, {upload.data.add_ons} add-ons.
        </p>
      )}
    </form>
  );
}
