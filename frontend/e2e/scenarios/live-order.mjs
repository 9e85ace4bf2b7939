// The live board: a manager watches the Orders screen; a consumer places an order
// through the API at a table; it is on the board within two seconds (Server-Sent
// Events), and the manager moves it to ready in two taps (accept, ready).
import { assert, signIn } from "../lib.mjs";
import { NIGHT, consumerToken, idempotencyKey, managerVenue, newPhone, simpleItem } from "../night.mjs";

export const title = "Receive an order placed through the API on the live board within two seconds, move it to ready";

const WITHIN_MS = 2000;

export default async function run(ctx) {
  const { page, api, step, screenshot } = ctx;
  step("the manager opens the live board");
  await signIn(page, NIGHT.restaurantManager);
  await page.getByRole("link", { name: "Orders", exact: true }).click();
  await page.getByRole("status").filter({ hasText: /^Live$/ }).waitFor();

  step("a consumer sits at a free table");
  const { token: manager, venue } = await managerVenue(api, NIGHT.restaurantManager);
  const open = new Set((await api.get(`/api/v1/venues/${venue.id}/table-sessions`, manager)).map((s) => s.table_id));
  const tables = (await api.get(`/api/v1/venues/${venue.id}/tables?limit=100`, manager)).items;
  const table = tables.find((t) => t.is_active && !open.has(t.id));
  assert.ok(table, "a table without an open session");
  const guest = await consumerToken(ctx, newPhone());
  const tableToken = table.qr_url.split("/q/")[1];
  const session = await api.post("/api/v1/table-sessions", { table_token: tableToken }, guest);
  const item = await simpleItem(api, venue.id);

  step("the consumer orders through the API");
  const placed = await api.post(
    "/api/v1/orders",
    { session_id: session.id, lines: [{ item_id: item.id, quantity: 2 }] },
    guest,
    { headers: idempotencyKey() },
  );
  const answered = Date.now();
  const order = placed.order;
  assert.equal(order.status, "placed");

  step(`order ${order.number} shows on the board within ${WITHIN_MS} ms`);
  const card = page.getByRole("listitem", { name: `Order ${order.number}, new` });
  await card.waitFor({ timeout: WITHIN_MS });
  const took = Date.now() - answered;
  assert.ok(took <= WITHIN_MS, `on the board after ${took} ms`);
  step(`on the board ${took} ms after the API answered`);
  assert.match(await card.innerText(), new RegExp(`Table ${table.label}`));
  assert.match(await card.innerText(), new RegExp(`2 ×\\s*${item.name}`));
  await screenshot("new-order");

  step("accept, then ready, one tap each");
  await page.getByRole("button", { name: `Accept: order ${order.number}` }).click();
  await page.getByRole("listitem", { name: `Order ${order.number}, accepted` }).waitFor();
  await page.getByRole("button", { name: `Ready: order ${order.number}` }).click();
  await page.getByRole("listitem", { name: `Order ${order.number}, ready` }).waitFor();
  const read = await api.get(`/api/v1/venues/${venue.id}/orders/${order.id}`, manager);
  assert.equal(read.status, "ready");
  assert.deepEqual(
    read.history.map((h) => h.to_status),
    ["placed", "accepted", "ready"],
  );
  await screenshot("ready");
}
