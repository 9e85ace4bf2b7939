// Screenshots of the night's screens for review (e2e/screenshots/night-screens-*.png):
// Events (an event with offerings, pools, availability, bookings), the door on a phone,
// the live board and the tables with a bill, the team (an owner's view, with the last
// owner protected), and the reports. Each screen is checked for its main landmarks.
import { assert, signIn } from "../lib.mjs";
import { NIGHT } from "../night.mjs";

export const title = "Screenshots of Events, Door, Orders, Staff and Reports";

async function open(page, section) {
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: section, exact: true }).click();
  await page.getByRole("heading", { level: 1 }).waitFor();
}

export default async function run({ page, newPage, step, screenshot }) {
  step("Events: Bassline's first night");
  await signIn(page, NIGHT.clubManager);
  await open(page, "Events");
  await page.getByRole("navigation", { name: "Events" }).getByRole("button").first().click();
  await page.getByRole("heading", { name: "Offerings" }).waitFor();
  await page.getByRole("heading", { name: "Bookings" }).waitFor();
  await page.locator(".booking").first().waitFor();
  await screenshot("events");

  step("Reports: sales, visits (the door scenario let a guest in), posters");
  await open(page, "Reports");
  await page.getByRole("heading", { name: "Poster performance (last 30 days)" }).waitFor();
  await page.getByRole("img", { name: /Impressions and taps per poster/ }).waitFor();
  await screenshot("reports");

  step("Door: on a phone");
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await signIn(phone, NIGHT.clubDoor);
  await open(phone, "Door");
  await phone.locator(".door-result").waitFor();
  await phone.getByText(/guests? inside now/).waitFor();
  await screenshot("door-phone", phone);

  step("Orders: the live board and the tables with their bills");
  const orders = await newPage();
  await signIn(orders, NIGHT.restaurantManager);
  await open(orders, "Orders");
  await orders.getByRole("status").filter({ hasText: /^Live$/ }).waitFor();
  await orders.locator(".order").first().waitFor();
  await screenshot("orders-board", orders);
  await orders.getByRole("tab", { name: "Tables and bills" }).click();
  await orders.getByRole("heading", { name: "Tables and bills" }).waitFor();
  const bills = orders.getByRole("button", { name: "The bill", exact: true });
  assert.ok((await bills.count()) > 0, "an open table that pays at the end");
  // Open every table's bill: the demo data has one issued (with its lines and shares).
  for (let n = await bills.count(); n > 0; n -= 1) await bills.first().click();
  await orders.getByText(/^Bill .* issued/).first().waitFor();
  await screenshot("orders-tables", orders);
  const boardPhone = await newPage({ viewport: { width: 390, height: 844 } });
  await signIn(boardPhone, NIGHT.restaurantManager);
  await open(boardPhone, "Orders");
  await boardPhone.locator(".order").first().waitFor();
  await screenshot("orders-phone", boardPhone);

  step("Staff: an owner's team, the last owner protected");
  const owner = await newPage();
  await signIn(owner, NIGHT.owner);
  await open(owner, "Staff");
  const me = owner.getByRole("listitem").filter({ hasText: "(you)" });
  await me.getByRole("combobox").selectOption("manager");
  await me.getByRole("button", { name: "Change the role" }).click();
  await me.getByRole("alert").filter({ hasText: "A venue must keep an owner" }).waitFor();
  await screenshot("staff", owner);
}
