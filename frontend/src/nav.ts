/** The dashboard's sections, under /venues/:venueId/ (path "" is the venue itself). */
export const SECTIONS = [
  { path: "", label: "Venue" },
  { path: "menus", label: "Menus" },
  { path: "tables", label: "Tables" },
  { path: "posters", label: "Posters" },
  { path: "events", label: "Events" },
  { path: "door", label: "Door" },
  { path: "orders", label: "Orders" },
  { path: "staff", label: "Staff" },
  { path: "reports", label: "Reports" },
] as const;

export type SectionPath = (typeof SECTIONS)[number]["path"];

/** `/venues/<id>/<section>` */
export function venuePath(venueId: string, section: SectionPath | string = ""): string {
  return `/venues/${venueId}${section ? `/${section}` : ""}`;
}
