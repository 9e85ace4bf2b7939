/** The menu screen's server state: the whole menu (one request) and the tax classes. */
import { type QueryClient, useQuery } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";

export type WholeMenu = Schemas["VenueMenuRead"];
export type MenuTree = Schemas["MenuTree"];
export type CategoryTree = Schemas["CategoryTree"];
export type ItemTree = Schemas["ItemTree"];
export type TaxClass = Schemas["TaxClassRead"];

export const menuKey = (venueId: string) => ["menu", venueId] as const;
export const taxClassesKey = (venueId: string) => ["tax-classes", venueId] as const;

/** Every menu with its categories, subcategories, items and options, in order. */
export function useWholeMenu(venueId: string) {
  return useQuery({
    queryKey: menuKey(venueId),
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}/menu", { params: { path: { venue_id: venueId } } })),
  });
}

export function useTaxClasses(venueId: string) {
  return useQuery({
    queryKey: taxClassesKey(venueId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/venues/{venue_id}/tax-classes", { params: { path: { venue_id: venueId } } })),
  });
}

/** Read the menu again after a change (resolves when the new menu is in). */
export function refreshMenu(queryClient: QueryClient, venueId: string): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: menuKey(venueId) });
}

export type OptionKind = "item" | "variant" | "add_on";

/** The menu with one item, variant or add-on's availability changed (for the cache). */
export function withAvailability(menu: WholeMenu, kind: OptionKind, id: string, available: boolean): WholeMenu {
  const item = (it: ItemTree): ItemTree => {
    if (kind === "item") return it.id === id ? { ...it, is_available: available } : it;
    if (kind === "variant") {
      return { ...it, variants: it.variants.map((v) => (v.id === id ? { ...v, is_available: available } : v)) };
    }
    return {
      ...it,
      add_on_groups: it.add_on_groups.map((g) => ({
        ...g,
        add_ons: g.add_ons.map((a) => (a.id === id ? { ...a, is_available: available } : a)),
      })),
    };
  };
  const category = (c: CategoryTree): CategoryTree => ({
    ...c,
    items: c.items.map(item),
    subcategories: c.subcategories.map(category),
  });
  return { ...menu, menus: menu.menus.map((m) => ({ ...m, categories: m.categories.map(category) })) };
}
