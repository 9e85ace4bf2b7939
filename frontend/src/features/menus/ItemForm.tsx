/**
 * Create or edit a menu item: name, price (in rupees; sent as paise), diet marker,
 * drinks' alcohol, ABV and IBU, ingredients and tags, image, tax class, availability.
 * The API's 422 messages appear at the field they name (`price_minor` at the price).
 */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { useFocusFirstError } from "../../lib/focus";
import { orNull, toInteger, toList, toNumber } from "../../lib/forms";
import { inputToMinor, minorToInput } from "../../lib/money";
import type { TaxClass } from "./queries";

type Item = Schemas["ItemRead"];
type Diet = Schemas["DietMarker"];

const FIELDS = [
  "name",
  "description",
  "price_minor",
  "currency",
  "diet",
  "is_alcoholic",
  "abv",
  "ibu",
  "ingredients",
  "tags",
  "image_url",
  "tax_class_id",
  "is_available",
  "category_id",
] as const;

interface Props {
  venueId: string;
  /** The category a new item goes in (ignored when editing). */
  categoryId: string;
  /** The item to edit; a new item when absent. */
  item?: Item | undefined;
  taxClasses: readonly TaxClass[];
  onDone: (item: Item) => void;
  onCancel: () => void;
}

export function ItemForm({ venueId, categoryId, item, taxClasses, onDone, onCancel }: Props) {
  const [name, setName] = useState(item?.name ?? "");
  const [description, setDescription] = useState(item?.description ?? "");
  const [price, setPrice] = useState(minorToInput(item?.price_minor));
  const [diet, setDiet] = useState<Diet | "">(item?.diet ?? "");
  const [alcoholic, setAlcoholic] = useState(item?.is_alcoholic ?? false);
  const [abv, setAbv] = useState(item?.abv == null ? "" : String(item.abv));
  const [ibu, setIbu] = useState(item?.ibu == null ? "" : String(item.ibu));
  const [ingredients, setIngredients] = useState((item?.ingredients ?? []).join(", "));
  const [tags, setTags] = useState((item?.tags ?? []).join(", "));
  const [imageUrl, setImageUrl] = useState(item?.image_url ?? "");
  const [taxClassId, setTaxClassId] = useState(item?.tax_class_id ?? "");
  const [available, setAvailable] = useState(item?.is_available ?? true);
  const [local, setLocal] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);

  const save = useMutation({
    mutationFn: (body: Schemas["ItemCreate"]) =>
      item
        ? unwrap(
            api.PATCH("/api/v1/venues/{venue_id}/items/{item_id}", {
              params: { path: { venue_id: venueId, item_id: item.id } },
              body,
            }),
          )
        : unwrap(
            api.POST("/api/v1/venues/{venue_id}/categories/{category_id}/items", {
              params: { path: { venue_id: venueId, category_id: categoryId } },
              body,
            }),
          ),
    onSuccess: onDone,
  });
  useFocusFirstError(formRef, save.error ?? (Object.keys(local).length > 0 ? local : null));
  const described = describeError(save.error, FIELDS);
  const fields: Record<string, string | undefined> = { ...described.fields, ...local };

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const problems: Record<string, string> = {};
    const priceMinor = inputToMinor(price);
    if (priceMinor === null) problems.price_minor = "Enter a price";
    else if (Number.isNaN(priceMinor)) problems.price_minor = "Enter a price in rupees, e.g. 240 or 99.50";
    const abvValue = alcoholic ? toNumber(abv) : null;
    if (Number.isNaN(abvValue)) problems.abv = "Enter a percentage, e.g. 5.2";
    const ibuValue = alcoholic ? toInteger(ibu) : null;
    if (Number.isNaN(ibuValue)) problems.ibu = "Enter a whole number";
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    save.mutate({
      name: name.trim(),
      description: orNull(description),
      price_minor: priceMinor ?? 0,
      currency: item?.currency ?? "INR",
      diet: diet === "" ? null : diet,
      is_alcoholic: alcoholic,
      abv: abvValue,
      ibu: ibuValue,
      ingredients: toList(ingredients),
      tags: toList(tags),
      image_url: orNull(imageUrl),
      tax_class_id: taxClassId === "" ? null : taxClassId,
      is_available: available,
    });
  }

  const busy = save.isPending;
  return (
    <form ref={formRef} className="card editor" onSubmit={onSubmit} noValidate aria-label={item ? `Edit ${item.name}` : "New item"}>
      <FormError message={described.form} />
      <div className="grid-2">
        <Field label="Item name" name="name" required value={name} onChange={(e) => setName(e.target.value)} error={fields.name} disabled={busy} />
        <Field
          label="Price (₹)"
          name="price_minor"
          inputMode="decimal"
          required
          value={price}
          onChange={(e) => setPrice(e.target.value)}
          error={fields.price_minor}
          hint="In rupees, e.g. 240 or 99.50"
          disabled={busy}
        />
      </div>
      <Field label="Description" name="description" error={fields.description}>
        {(control) => <textarea {...control} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} disabled={busy} />}
      </Field>
      <div className="grid-2">
        <Field label="Diet" name="diet" error={fields.diet}>
          {(control) => (
            <select {...control} value={diet} onChange={(e) => setDiet(e.target.value as Diet | "")} disabled={busy}>
              <option value="">Not marked</option>
              <option value="veg">Veg</option>
              <option value="non_veg">Non-veg</option>
              <option value="egg">Egg</option>
              <option value="vegan">Vegan</option>
            </select>
          )}
        </Field>
        <Field label="Tax class" name="tax_class_id" error={fields.tax_class_id}>
          {(control) => (
            <select {...control} value={taxClassId} onChange={(e) => setTaxClassId(e.target.value)} disabled={busy}>
              <option value="">No tax</option>
              {taxClasses.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} ({t.rate_bps / 100}%)
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className={`field field--check${fields.is_alcoholic ? " field--invalid" : ""}`}>
        <label>
          <input type="checkbox" name="is_alcoholic" checked={alcoholic} onChange={(e) => setAlcoholic(e.target.checked)} disabled={busy} />{" "}
          Alcoholic drink
        </label>
        {fields.is_alcoholic && <p className="field__error">{fields.is_alcoholic}</p>}
      </div>
      {alcoholic && (
        <div className="grid-2">
          <Field label="ABV (%)" name="abv" inputMode="decimal" value={abv} onChange={(e) => setAbv(e.target.value)} error={fields.abv} disabled={busy} />
          <Field label="IBU" name="ibu" inputMode="numeric" value={ibu} onChange={(e) => setIbu(e.target.value)} error={fields.ibu} disabled={busy} />
        </div>
      )}
      <div className="grid-2">
        <Field
          label="Ingredients"
          name="ingredients"
          value={ingredients}
          onChange={(e) => setIngredients(e.target.value)}
          error={fields.ingredients}
          hint="Separated by commas"
          disabled={busy}
        />
        <Field label="Tags" name="tags" value={tags} onChange={(e) => setTags(e.target.value)} error={fields.tags} hint="Separated by commas" disabled={busy} />
      </div>
      <Field label="Image URL" name="image_url" type="url" value={imageUrl} onChange={(e) => setImageUrl(e.target.value)} error={fields.image_url} disabled={busy} />
      <div className="field field--check">
        <label>
          <input type="checkbox" name="is_available" checked={available} onChange={(e) => setAvailable(e.target.checked)} disabled={busy} /> Available
          (not sold out)
        </label>
      </div>
      <div className="toolbar">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : item ? "Save item" : "Add item"}
        </button>
        <button type="button" className="button--quiet" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
