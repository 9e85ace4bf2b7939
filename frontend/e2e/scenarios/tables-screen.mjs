// The Tables screen: a manager creates a table, finds it on the next page, downloads a
// code, and opens the printable QR sheet (the backend's page, through a signed link).
import { assert, DEMO, signIn } from "../lib.mjs";

export const title = "Tables: create a table, download a code, open the QR sheet";

export default async function run({ page, api, step, screenshot }) {
  const token = await api.login(DEMO.manager);
  step("sign in as the demo manager and open Tables");
  await signIn(page, DEMO.manager);
  const venueId = new URL(page.url()).pathname.split("/")[2];
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Tables", exact: true }).click();
  const label = `E2E ${Date.now() % 100000}`;

  step(`create table ${label}`);
  const form = page.getByRole("form", { name: "New table" });
  await form.getByLabel("Table label").fill(label);
  await form.getByLabel("Seats").fill("2");
  await form.getByLabel("Area").fill("Patio");
  await form.getByRole("button", { name: "Add table" }).click();
  await form.getByRole("status").filter({ hasText: `Table ${label} added` }).waitFor();
  const all = await api.get(`/api/v1/venues/${venueId}/tables?limit=100`, token);
  const created = all.items.find((t) => t.label === label);
  assert.ok(created, "the API has the new table");
  assert.equal(created.seats, 2);
  assert.equal(created.area, "Patio");

  step("the new table is in the list (paging on if it is not on the first page)");
  for (let i = 0; i < 10 && !(await page.getByRole("heading", { name: `Table ${label}` }).count()); i += 1) {
    await page.getByRole("navigation", { name: "Pages of tables" }).getByRole("button", { name: "Next" }).click();
    await page.waitForTimeout(300);
  }
  await page.getByRole("heading", { name: `Table ${label}` }).waitFor();

  step("download the table's code as PNG and SVG");
  const card = page.getByRole("article", { name: `Table ${label}` });
  const [png] = await Promise.all([page.waitForEvent("download"), card.getByRole("button", { name: /as PNG/ }).click()]);
  assert.equal(png.suggestedFilename(), `table-E2E-${label.split(" ")[1]}.png`);
  const [svg] = await Promise.all([page.waitForEvent("download"), card.getByRole("button", { name: /as SVG/ }).click()]);
  assert.match(svg.suggestedFilename(), /\.svg$/);
  await card.getByRole("img", { name: `QR code of table ${label}` }).waitFor();

  step("two scans of the new code show in the scan counts");
  const code = new URL(created.qr_url).pathname.split("/").pop();
  await api.get(`/api/v1/tables/resolve/${code}`); // what the app does with a scanned code
  await api.get(`/api/v1/tables/resolve/${code}`);
  const report = await api.get(`/api/v1/venues/${venueId}/tables/scans?table_id=${created.id}`, token);
  assert.equal(report.total, 2);
  const scans = page.getByRole("region", { name: "Scans" });
  await scans.getByRole("button", { name: "Refresh" }).click();
  await scans.getByRole("img", { name: /Scans per table/ }).locator(`g[data-row="${label}"]`).getByText("2", { exact: true }).waitFor();
  await card.scrollIntoViewIfNeeded();
  await screenshot("tables");

  step("the same label again is refused at the label");
  await form.getByLabel("Table label").fill(label);
  await form.getByRole("button", { name: "Add table" }).click();
  const labelInput = form.getByLabel("Table label");
  await page.waitForFunction((el) => el.getAttribute("aria-invalid") === "true", await labelInput.elementHandle());
  await form.getByLabel("Table label").fill("");


  step("open the printable QR sheet");
  const [sheet] = await Promise.all([page.context().waitForEvent("page"), page.getByRole("button", { name: "Print QR sheet" }).click()]);
  await sheet.waitForURL(/\/tables\/qr-sheet\/open\?token=/);
  await sheet.waitForLoadState();
  await sheet.getByText(label, { exact: true }).first().waitFor();
  await screenshot("qr-sheet", sheet);
  await sheet.close();

  await api.delete(`/api/v1/venues/${venueId}/tables/${created.id}`, token);
}
