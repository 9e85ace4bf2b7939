/**
 * The tree of a venue's menus: menus, categories and subcategories with their items,
 * and each item's variants and add-on groups with add-ons. Managers create, edit,
 * delete and reorder (drag a row onto another of the same list, or Up/Down); everyone
 * on the team marks things sold out and back in one tap.
 */
import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../lib/errors";
import { formatMoney } from "../../lib/money";
import { ItemForm } from "./ItemForm";
import { type CategoryTree, type ItemTree, type MenuTree as Menu, refreshMenu, type TaxClass } from "./queries";
import { as, SmallForm, type SmallField } from "./SmallForm";
import { SoldOutToggle } from "./SoldOutToggle";
import { type RowDragProps, useSortable } from "./sortable";

interface Ctx {
  venueId: string;
  canManage: boolean;
  taxClasses: readonly TaxClass[];
}

const NAME_FIELDS: SmallField[] = [
  { name: "name", label: "Name", kind: "text", required: true },
  { name: "description", label: "Description", kind: "textarea" },
];
const VARIANT_FIELDS: SmallField[] = [
  { name: "name", label: "Variant name", kind: "text", required: true, hint: "e.g. Half, Full, 330 ml" },
  { name: "price_minor", label: "Price (₹)", kind: "money", required: true },
];
const GROUP_FIELDS: SmallField[] = [
  { name: "name", label: "Group name", kind: "text", required: true, hint: "e.g. Extra toppings" },
  { name: "min_choices", label: "At least", kind: "integer", hint: "0: optional" },
  { name: "max_choices", label: "At most", kind: "integer" },
];
const ADD_ON_FIELDS: SmallField[] = [
  { name: "name", label: "Add-on name", kind: "text", required: true },
  { name: "price_minor", label: "Price (₹)", kind: "money", hint: "0 for free" },
];

const DIET_LABEL: Record<Schemas["DietMarker"], string> = { veg: "Veg", non_veg: "Non-veg", egg: "Egg", vegan: "Vegan" };

/** Confirm, delete; a non-empty menu or category asks again before taking everything in it. */
async function confirmDelete(what: string, run: (force: boolean) => Promise<unknown>): Promise<void> {
  if (!window.confirm(`Delete ${what}?`)) return;
  try {
    await run(false);
  } catch (e) {
    if (e instanceof ApiError && e.code === "not_empty") {
      if (window.confirm(`${what} is not empty. Delete it with everything in it?`)) await run(true);
      return;
    }
    throw e;
  }
}

function useAction(venueId: string) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await action();
      await refreshMenu(queryClient, venueId);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const message = error ? describeError(error).form : null;
  return { run, busy, message };
}

interface RowProps {
  kind: string;
  name: string;
  meta?: ReactNode;
  drag?: RowDragProps | undefined;
  position?: { index: number; count: number; move: (delta: number) => void } | undefined;
  soldOut?: boolean;
  children?: ReactNode;
}

/** One row of the tree: what it is, its name, Up/Down (when it can move) and actions. */
function Row({ kind, name, meta, drag, position, soldOut, children }: RowProps) {
  const className = [
    "tree-row",
    soldOut ? "tree-row--soldout" : "",
    drag?.["data-drop-target"] ? "tree-row--drop" : "",
    drag?.["data-dragging"] ? "tree-row--dragging" : "",
  ].join(" ");
  return (
    <div className={className} {...(drag ?? {})}>
      {drag && (
        <span className="drag-handle" aria-hidden="true" title="Drag to reorder">
          ⠿
        </span>
      )}
      <span className="tree-kind">{kind}</span>
      <span className="tree-row__name">{name}</span>
      {meta && <span className="tree-row__meta">{meta}</span>}
      {position && (
        <>
          <button
            type="button"
            className="button--quiet button--small"
            aria-label={`Move ${name} up`}
            disabled={position.index === 0}
            onClick={() => position.move(-1)}
          >
            ↑
          </button>
          <button
            type="button"
            className="button--quiet button--small"
            aria-label={`Move ${name} down`}
            disabled={position.index === position.count - 1}
            onClick={() => position.move(1)}
          >
            ↓
          </button>
        </>
      )}
      {children}
    </div>
  );
}

/** A sortable list of siblings: rows in the current order, each given its drag props. */
function SortableList<T extends { id: string }>({
  items,
  save,
  canManage,
  label,
  render,
}: {
  items: readonly T[];
  save: (ids: string[]) => Promise<unknown>;
  canManage: boolean;
  label: string;
  render: (item: T, drag: RowDragProps | undefined, position: RowProps["position"]) => ReactNode;
}) {
  const sortable = useSortable(
    items.map((i) => i.id),
    save,
  );
  const byId = new Map(items.map((i) => [i.id, i]));
  const ordered = sortable.order.map((id) => byId.get(id)).filter((i): i is T => i !== undefined);
  return (
    <>
      {sortable.error != null && (
        <p role="alert" className="field__error">
          The new order was not saved: {describeError(sortable.error).form}
        </p>
      )}
      <ol aria-label={label} aria-busy={sortable.pending || undefined}>
        {ordered.map((item, index) => (
          <li key={item.id} className="tree-node">
            {render(
              item,
              canManage ? sortable.rowProps(item.id) : undefined,
              canManage ? { index, count: ordered.length, move: (delta) => sortable.move(item.id, delta) } : undefined,
            )}
          </li>
        ))}
      </ol>
    </>
  );
}

export function MenuTree({ menus, ctx }: { menus: readonly Menu[]; ctx: Ctx }) {
  const { venueId, canManage } = ctx;
  const queryClient = useQueryClient();
  const save = async (ids: string[]) => {
    await unwrap(api.PUT("/api/v1/venues/{venue_id}/menus/order", { params: { path: { venue_id: venueId } }, body: { ids } }));
    await refreshMenu(queryClient, venueId);
  };
  if (menus.length === 0) return <p className="muted">No menu yet: add one, or import a whole menu from a JSON file.</p>;
  return (
    <div className="menu-tree">
      <SortableList
        items={menus}
        save={save}
        canManage={canManage}
        label="Menus"
        render={(menu, drag, position) => <MenuNode menu={menu} ctx={ctx} drag={drag} position={position} />}
      />
    </div>
  );
}

type Mode = null | "edit" | "add-category" | "add-subcategory" | "add-item" | "add-variant" | "add-group" | "add-add-on";

function MenuNode({ menu, ctx, drag, position }: { menu: Menu; ctx: Ctx; drag?: RowDragProps | undefined; position: RowProps["position"] }) {
  const { venueId, canManage } = ctx;
  const [mode, setMode] = useState<Mode>(null);
  const action = useAction(venueId);
  const queryClient = useQueryClient();
  const done = () => {
    setMode(null);
    void refreshMenu(queryClient, venueId);
  };
  const path = { venue_id: venueId, menu_id: menu.id };
  return (
    <section aria-label={`Menu ${menu.name}`}>
      <Row kind="Menu" name={menu.name} meta={menu.description} drag={drag} position={position}>
        {canManage && (
          <>
            <button type="button" className="button--quiet button--small" onClick={() => setMode("edit")} aria-label={`Edit menu ${menu.name}`}>
              Edit
            </button>
            <button type="button" className="button--small" onClick={() => setMode("add-category")}>
              Add category
            </button>
            <button
              type="button"
              className="button--quiet button--small"
              disabled={action.busy}
              aria-label={`Delete menu ${menu.name}`}
              onClick={() =>
                void action.run(() =>
                  confirmDelete(`the menu ${menu.name}`, (force) =>
                    unwrap(api.DELETE("/api/v1/venues/{venue_id}/menus/{menu_id}", { params: { path, query: { force } } })),
                  ),
                )
              }
            >
              Delete
            </button>
          </>
        )}
      </Row>
      {action.message && <p role="alert" className="field__error">{action.message}</p>}
      {mode === "edit" && (
        <SmallForm
          label={`Edit menu ${menu.name}`}
          fields={NAME_FIELDS}
          initial={menu}
          submitLabel="Save menu"
          submit={(body) => unwrap(api.PATCH("/api/v1/venues/{venue_id}/menus/{menu_id}", { params: { path }, body: as<Schemas["MenuUpdate"]>(body) }))}
          onDone={done}
          onCancel={() => setMode(null)}
        />
      )}
      {mode === "add-category" && (
        <SmallForm
          label={`New category in ${menu.name}`}
          fields={NAME_FIELDS}
          submitLabel="Add category"
          submit={(body) =>
            unwrap(api.POST("/api/v1/venues/{venue_id}/menus/{menu_id}/categories", { params: { path }, body: as<Schemas["CategoryCreate"]>(body) }))
          }
          onDone={done}
          onCancel={() => setMode(null)}
        />
      )}
      <CategoryList menuId={menu.id} parentId={null} categories={menu.categories} ctx={ctx} />
    </section>
  );
}

function CategoryList({ menuId, parentId, categories, ctx }: { menuId: string; parentId: string | null; categories: readonly CategoryTree[]; ctx: Ctx }) {
  const queryClient = useQueryClient();
  if (categories.length === 0) return null;
  const save = async (ids: string[]) => {
    await unwrap(
      api.PUT("/api/v1/venues/{venue_id}/menus/{menu_id}/categories/order", {
        params: { path: { venue_id: ctx.venueId, menu_id: menuId } },
        body: { ids, parent_id: parentId },
      }),
    );
    await refreshMenu(queryClient, ctx.venueId);
  };
  return (
    <SortableList
      items={categories}
      save={save}
      canManage={ctx.canManage}
      label={parentId ? "Subcategories" : "Categories"}
      render={(category, drag, position) => (
        <CategoryNode menuId={menuId} category={category} isSub={parentId !== null} ctx={ctx} drag={drag} position={position} />
      )}
    />
  );
}

function CategoryNode({
  menuId,
  category,
  isSub,
  ctx,
  drag,
  position,
}: {
  menuId: string;
  category: CategoryTree;
  isSub: boolean;
  ctx: Ctx;
  drag?: RowDragProps | undefined;
  position: RowProps["position"];
}) {
  const { venueId, canManage, taxClasses } = ctx;
  const [mode, setMode] = useState<Mode>(null);
  const action = useAction(venueId);
  const queryClient = useQueryClient();
  const done = () => {
    setMode(null);
    void refreshMenu(queryClient, venueId);
  };
  const path = { venue_id: venueId, category_id: category.id };
  const kind = isSub ? "Subcategory" : "Category";
  return (
    <>
      <Row kind={kind} name={category.name} meta={`${category.items.length} items`} drag={drag} position={position}>
        {canManage && (
          <>
            <button type="button" className="button--quiet button--small" onClick={() => setMode("edit")} aria-label={`Edit ${category.name}`}>
              Edit
            </button>
            <button type="button" className="button--small" onClick={() => setMode("add-item")} aria-label={`Add item to ${category.name}`}>
              Add item
            </button>
            {!isSub && (
              <button type="button" className="button--quiet button--small" onClick={() => setMode("add-subcategory")} aria-label={`Add subcategory to ${category.name}`}>
                Add subcategory
              </button>
            )}
            <button
              type="button"
              className="button--quiet button--small"
              disabled={action.busy}
              aria-label={`Delete ${category.name}`}
              onClick={() =>
                void action.run(() =>
                  confirmDelete(`the ${kind.toLowerCase()} ${category.name}`, (force) =>
                    unwrap(api.DELETE("/api/v1/venues/{venue_id}/categories/{category_id}", { params: { path, query: { force } } })),
                  ),
                )
              }
            >
              Delete
            </button>
          </>
        )}
      </Row>
      {action.message && <p role="alert" className="field__error">{action.message}</p>}
      {mode === "edit" && (
        <SmallForm
          label={`Edit ${category.name}`}
          fields={NAME_FIELDS}
          initial={category}
          submitLabel={`Save ${kind.toLowerCase()}`}
          submit={(body) =>
            unwrap(api.PATCH("/api/v1/venues/{venue_id}/categories/{category_id}", { params: { path }, body: as<Schemas["CategoryUpdate"]>(body) }))
          }
          onDone={done}
          onCancel={() => setMode(null)}
        />
      )}
      {mode === "add-subcategory" && (
        <SmallForm
          label={`New subcategory in ${category.name}`}
          fields={NAME_FIELDS}
          submitLabel="Add subcategory"
          submit={(body) =>
            unwrap(
              api.POST("/api/v1/venues/{venue_id}/menus/{menu_id}/categories", {
                params: { path: { venue_id: venueId, menu_id: menuId } },
                body: { ...as<Schemas["CategoryCreate"]>(body), parent_id: category.id },
              }),
            )
          }
          onDone={done}
          onCancel={() => setMode(null)}
        />
      )}
      {mode === "add-item" && (
        <ItemForm venueId={venueId} categoryId={category.id} taxClasses={taxClasses} onDone={done} onCancel={() => setMode(null)} />
      )}
      <ItemList category={category} ctx={ctx} />
      <CategoryList menuId={menuId} parentId={category.id} categories={category.subcategories} ctx={ctx} />
    </>
  );
}

function ItemList({ category, ctx }: { category: CategoryTree; ctx: Ctx }) {
  const queryClient = useQueryClient();
  if (category.items.length === 0) return null;
  const save = async (ids: string[]) => {
    await unwrap(
      api.PUT("/api/v1/venues/{venue_id}/categories/{category_id}/items/order", {
        params: { path: { venue_id: ctx.venueId, category_id: category.id } },
        body: { ids },
      }),
    );
    await refreshMenu(queryClient, ctx.venueId);
  };
  return (
    <SortableList
      items={category.items}
      save={save}
      canManage={ctx.canManage}
      label={`Items of ${category.name}`}
      render={(item, drag, position) => <ItemNode item={item} ctx={ctx} drag={drag} position={position} />}
    />
  );
}

function ItemNode({ item, ctx, drag, position }: { item: ItemTree; ctx: Ctx; drag?: RowDragProps | undefined; position: RowProps["position"] }) {
  const { venueId, canManage, taxClasses } = ctx;
  const [mode, setMode] = useState<Mode>(null);
  const action = useAction(venueId);
  const queryClient = useQueryClient();
  const done = () => {
    setMode(null);
    void refreshMenu(queryClient, venueId);
  };
  const meta = [formatMoney(item.price_minor, item.currency), item.diet ? DIET_LABEL[item.diet] : null, item.abv != null ? `${item.abv}% ABV` : null]
    .filter(Boolean)
    .join(" · ");
  const options = item.variants.length + item.add_on_groups.length;
  return (
    <>
      <Row kind="Item" name={item.name} meta={meta} drag={drag} position={position} soldOut={!item.is_available}>
        <SoldOutToggle venueId={venueId} kind="item" id={item.id} name={item.name} available={item.is_available} />
        {canManage && (
          <>
            <button type="button" className="button--quiet button--small" onClick={() => setMode("edit")} aria-label={`Edit ${item.name}`}>
              Edit
            </button>
            <button
              type="button"
              className="button--quiet button--small"
              disabled={action.busy}
              aria-label={`Delete ${item.name}`}
              onClick={() =>
                void action.run(async () => {
                  if (!window.confirm(`Delete ${item.name}?`)) return;
                  await unwrap(api.DELETE("/api/v1/venues/{venue_id}/items/{item_id}", { params: { path: { venue_id: venueId, item_id: item.id } } }));
                })
              }
            >
              Delete
            </button>
          </>
        )}
      </Row>
      {action.message && <p role="alert" className="field__error">{action.message}</p>}
      {mode === "edit" && (
        <ItemForm venueId={venueId} categoryId={item.category_id} item={item} taxClasses={taxClasses} onDone={done} onCancel={() => setMode(null)} />
      )}
      {(options > 0 || canManage) && (
        <details className="options">
          <summary>
            {options === 0
              ? `Add variants or add-ons to ${item.name}`
              : [
                  item.variants.length > 0 ? `${item.variants.length} ${item.variants.length === 1 ? "variant" : "variants"}` : null,
                  item.add_on_groups.length > 0 ? `${item.add_on_groups.length} add-on ${item.add_on_groups.length === 1 ? "group" : "groups"}` : null,
                ]
                  .filter(Boolean)
                  .join(" · ")}
          </summary>
          <ItemOptions item={item} ctx={ctx} />
        </details>
      )}
    </>
  );
}

function ItemOptions({ item, ctx }: { item: ItemTree; ctx: Ctx }) {
  const { venueId, canManage } = ctx;
  const [mode, setMode] = useState<Mode>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [addingTo, setAddingTo] = useState<string | null>(null);
  const action = useAction(venueId);
  const queryClient = useQueryClient();
  const done = () => {
    setMode(null);
    setEditing(null);
    setAddingTo(null);
    void refreshMenu(queryClient, venueId);
  };
  const remove = (what: string, call: () => Promise<unknown>) =>
    void action.run(async () => {
      if (window.confirm(`Delete ${what}?`)) await call();
    });
  return (
    <div className="stack">
      {action.message && <p role="alert" className="field__error">{action.message}</p>}
      <ul className="menu-tree" aria-label={`Variants of ${item.name}`}>
        {item.variants.map((variant) => (
          <li key={variant.id} className="tree-node">
            <Row kind="Variant" name={variant.name} meta={formatMoney(variant.price_minor, variant.currency)} soldOut={!variant.is_available}>
              <SoldOutToggle venueId={venueId} kind="variant" id={variant.id} name={`${item.name} ${variant.name}`} available={variant.is_available} />
              {canManage && (
                <>
                  <button type="button" className="button--quiet button--small" onClick={() => setEditing(variant.id)} aria-label={`Edit variant ${variant.name}`}>
                    Edit
                  </button>
                  <button
                    type="button"
                    className="button--quiet button--small"
                    aria-label={`Delete variant ${variant.name}`}
                    onClick={() =>
                      remove(`the variant ${variant.name}`, () =>
                        unwrap(api.DELETE("/api/v1/venues/{venue_id}/variants/{variant_id}", { params: { path: { venue_id: venueId, variant_id: variant.id } } })),
                      )
                    }
                  >
                    Delete
                  </button>
                </>
              )}
            </Row>
            {editing === variant.id && (
              <SmallForm
                label={`Edit variant ${variant.name}`}
                fields={VARIANT_FIELDS}
                initial={variant}
                submitLabel="Save variant"
                submit={(body) =>
                  unwrap(
                    api.PATCH("/api/v1/venues/{venue_id}/variants/{variant_id}", {
                      params: { path: { venue_id: venueId, variant_id: variant.id } },
                      body: as<Schemas["VariantUpdate"]>(body),
                    }),
                  )
                }
                onDone={done}
                onCancel={() => setEditing(null)}
              />
            )}
          </li>
        ))}
      </ul>
      <ul className="menu-tree" aria-label={`Add-on groups of ${item.name}`}>
        {item.add_on_groups.map((group) => (
          <li key={group.id} className="tree-node">
            <Row kind="Add-ons" name={group.name} meta={`choose ${group.min_choices}–${group.max_choices}`}>
              {canManage && (
                <>
                  <button type="button" className="button--quiet button--small" onClick={() => setEditing(group.id)} aria-label={`Edit add-on group ${group.name}`}>
                    Edit
                  </button>
                  <button type="button" className="button--small" onClick={() => setAddingTo(group.id)} aria-label={`Add an add-on to ${group.name}`}>
                    Add add-on
                  </button>
                  <button
                    type="button"
                    className="button--quiet button--small"
                    aria-label={`Delete add-on group ${group.name}`}
                    onClick={() =>
                      remove(`the add-on group ${group.name}`, () =>
                        unwrap(api.DELETE("/api/v1/venues/{venue_id}/add-on-groups/{group_id}", { params: { path: { venue_id: venueId, group_id: group.id } } })),
                      )
                    }
                  >
                    Delete
                  </button>
                </>
              )}
            </Row>
            {editing === group.id && (
              <SmallForm
                label={`Edit add-on group ${group.name}`}
                fields={GROUP_FIELDS}
                initial={group}
                submitLabel="Save group"
                submit={(body) =>
                  unwrap(
                    api.PATCH("/api/v1/venues/{venue_id}/add-on-groups/{group_id}", {
                      params: { path: { venue_id: venueId, group_id: group.id } },
                      body: as<Schemas["AddOnGroupUpdate"]>(body),
                    }),
                  )
                }
                onDone={done}
                onCancel={() => setEditing(null)}
              />
            )}
            {addingTo === group.id && (
              <SmallForm
                label={`New add-on in ${group.name}`}
                fields={ADD_ON_FIELDS}
                submitLabel="Add add-on"
                submit={(body) =>
                  unwrap(
                    api.POST("/api/v1/venues/{venue_id}/add-on-groups/{group_id}/add-ons", {
                      params: { path: { venue_id: venueId, group_id: group.id } },
                      body: as<Schemas["AddOnCreate"]>(body),
                    }),
                  )
                }
                onDone={done}
                onCancel={() => setAddingTo(null)}
              />
            )}
            <ul className="menu-tree" aria-label={`Add-ons of ${group.name}`}>
              {group.add_ons.map((addOn) => (
                <li key={addOn.id} className="tree-node">
                  <Row kind="Add-on" name={addOn.name} meta={formatMoney(addOn.price_minor, addOn.currency)} soldOut={!addOn.is_available}>
                    <SoldOutToggle venueId={venueId} kind="add_on" id={addOn.id} name={addOn.name} available={addOn.is_available} />
                    {canManage && (
                      <>
                        <button type="button" className="button--quiet button--small" onClick={() => setEditing(addOn.id)} aria-label={`Edit add-on ${addOn.name}`}>
                          Edit
                        </button>
                        <button
                          type="button"
                          className="button--quiet button--small"
                          aria-label={`Delete add-on ${addOn.name}`}
                          onClick={() =>
                            remove(`the add-on ${addOn.name}`, () =>
                              unwrap(api.DELETE("/api/v1/venues/{venue_id}/add-ons/{add_on_id}", { params: { path: { venue_id: venueId, add_on_id: addOn.id } } })),
                            )
                          }
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </Row>
                  {editing === addOn.id && (
                    <SmallForm
                      label={`Edit add-on ${addOn.name}`}
                      fields={ADD_ON_FIELDS}
                      initial={addOn}
                      submitLabel="Save add-on"
                      submit={(body) =>
                        unwrap(
                          api.PATCH("/api/v1/venues/{venue_id}/add-ons/{add_on_id}", {
                            params: { path: { venue_id: venueId, add_on_id: addOn.id } },
                            body: as<Schemas["AddOnUpdate"]>(body),
                          }),
                        )
                      }
                      onDone={done}
                      onCancel={() => setEditing(null)}
                    />
                  )}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
      {canManage && (
        <div className="toolbar">
          <button type="button" className="button--quiet button--small" onClick={() => setMode("add-variant")}>
            Add variant
          </button>
          <button type="button" className="button--quiet button--small" onClick={() => setMode("add-group")}>
            Add add-on group
          </button>
        </div>
      )}
      {mode === "add-variant" && (
        <SmallForm
          label={`New variant of ${item.name}`}
          fields={VARIANT_FIELDS}
          submitLabel="Add variant"
          submit={(body) =>
            unwrap(
              api.POST("/api/v1/venues/{venue_id}/items/{item_id}/variants", {
                params: { path: { venue_id: venueId, item_id: item.id } },
                body: as<Schemas["VariantCreate"]>(body),
              }),
            )
          }
          onDone={done}
          onCancel={() => setMode(null)}
        />
      )}
      {mode === "add-group" && (
        <SmallForm
          label={`New add-on group of ${item.name}`}
          fields={GROUP_FIELDS}
          initial={{ min_choices: 0, max_choices: 1 }}
          submitLabel="Add group"
          submit={(body) =>
            unwrap(
              api.POST("/api/v1/venues/{venue_id}/items/{item_id}/add-on-groups", {
                params: { path: { venue_id: venueId, item_id: item.id } },
                body: as<Schemas["AddOnGroupCreate"]>(body),
              }),
            )
          }
          onDone={done}
          onCancel={() => setMode(null)}
        />
      )}
    </div>
  );
}
