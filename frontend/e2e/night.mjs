// Helpers for the night scenarios (orders, the door, the screens' screenshots): a demo
// consumer's sign-in by one-time code, read from the backend's log, where the `console`
// SMS provider writes it (the run starts the backend with SMS_PROVIDER=console; with
// E2E_BACKEND, point E2E_BACKEND_LOG at that backend's log).
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

import { eventually } from "./lib.mjs";

/** Demo logins of the night's venues (backend/app/seed/venues.py). */
export const NIGHT = {
  /** A restaurant open around the clock whose tables pay at the end (orders at any hour). */
  restaurantManager: "manager.biryani-darbar@demo.socia.app",
  /** Bassline, the demo nightclub, and its door staff. */
  clubManager: "manager.bassline@demo.socia.app",
  clubDoor: "staff.bassline@demo.socia.app",
  /** An owner (Copper Kettle and more). */
  owner: "owner.toit@demo.socia.app",
  /** Demo consumers (backend/app/seed/people.py): Diya holds a paid booking at Bassline. */
  diya: "+919810000002",
};

/** The backend's log: the run's (`ctx.backendLog()`), or E2E_BACKEND_LOG's with E2E_BACKEND. */
function readLog(ctx) {
  const file = process.env.E2E_BACKEND_LOG;
  if (file) return existsSync(file) ? readFileSync(file, "utf8") : "";
  return ctx.backendLog();
}

/** A fresh Indian mobile number: a new consumer account on first sign-in. */
export function newPhone() {
  return `+9198${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
}

/** An access token for the consumer with `phone`: request a code, read it from the log, verify. */
export async function consumerToken(ctx, phone) {
  const { api } = ctx;
  const from = readLog(ctx).length;
  await api.post("/api/v1/auth/otp/request", { phone });
  const code = await eventually(
    () => {
      const text = readLog(ctx).slice(from);
      const found = [...text.matchAll(/SMS to (\+\d+): (\d{4,10}) is your Socia sign-in code/g)].filter((m) => m[1] === phone);
      return found.at(-1)?.[2];
    },
    { timeoutMs: 10_000, what: `the sign-in code for ${phone} in the backend log` },
  );
  const tokens = await api.post("/api/v1/auth/otp/verify", { phone, code });
  return tokens.access_token;
}

export function idempotencyKey() {
  return { "Idempotency-Key": randomUUID() };
}

/** The first venue of a business login: `{ token, venue }`. */
export async function managerVenue(api, email) {
  const token = await api.login(email);
  const mine = await api.get("/api/v1/venues/mine", token);
  const venue = mine.items[0]?.venue;
  if (!venue) throw new Error(`${email} has no venue`);
  return { token, venue };
}

/** An item of the venue's menu that needs no variant or add-on choice. */
export async function simpleItem(api, venueId) {
  const menu = await api.get(`/api/v1/venues/${venueId}/menu`);
  for (const m of menu.menus) {
    const categories = [...m.categories];
    while (categories.length) {
      const category = categories.shift();
      categories.push(...(category.subcategories ?? []));
      const item = category.items.find((i) => i.is_available && i.variants.length === 0 && i.add_on_groups.length === 0);
      if (item) return item;
    }
  }
  throw new Error(`no simple item on the menu of ${venueId}`);
}
