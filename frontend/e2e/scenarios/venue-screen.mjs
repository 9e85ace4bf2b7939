// The Venue screen: a manager adds a Friday night that runs past midnight (20:00–02:00),
// sees the API refuse an overlap at the opening hours, fixes it and saves; the API then
// has the new hours. The demo venue's hours are put back at the end.
import { assert, DEMO, eventually, signIn } from "../lib.mjs";

export const title = "Venue: opening hours past midnight, an overlap shown at the hours, saved";

export default async function run({ page, api, step, screenshot }) {
  const token = await api.login(DEMO.manager);
  step("sign in as the demo manager");
  await signIn(page, DEMO.manager);
  const venueId = new URL(page.url()).pathname.split("/")[2];
  const before = await api.get(`/api/v1/venues/${venueId}`, token);
  try {
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Venue", exact: true }).click();
    const form = page.getByRole("form", { name: "Profile" });
    await form.getByLabel("Name", { exact: true }).waitFor();
    assert.equal(await form.getByLabel("Name", { exact: true }).inputValue(), before.name);
    await page.getByRole("heading", { name: "Verification" }).waitFor();

    step("add Friday 20:00–02:00 (closes the next day)");
    await page.getByRole("button", { name: "Add hours" }).click();
    const row = page.locator(".hours__row").last();
    await row.getByLabel("Day", { exact: true }).selectOption("friday");
    await row.getByLabel("Opens", { exact: true }).fill("20:00");
    await row.getByLabel("Closes", { exact: true }).fill("02:00");
    await row.getByText("Closes the next day at 02:00").waitFor();

    step("the API refuses the overlap with Friday 19:00–23:30, shown at the hours");
    await page.getByRole("button", { name: "Save venue" }).click();
    const hoursError = page.getByRole("group", { name: "Opening hours" }).getByRole("alert");
    await hoursError.filter({ hasText: "Opening hours overlap" }).waitFor();
    await screenshot("hours-overlap");

    step("remove the old Friday evening and save");
    await page.getByRole("button", { name: "Remove Friday 19:00–23:30" }).click();
    await page.getByRole("button", { name: "Save venue" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const after = await eventually(async () => {
      const venue = await api.get(`/api/v1/venues/${venueId}`, token);
      return venue.opening_hours.some((h) => h.weekday === "friday" && h.opens === "20:00" && h.closes === "02:00") && venue;
    }, { what: "Friday 20:00–02:00 in the API" });
    assert.ok(!after.opening_hours.some((h) => h.weekday === "friday" && h.opens === "19:00"));
    await page.getByRole("heading", { name: "Venue" }).scrollIntoViewIfNeeded();
    await screenshot("venue");
  } finally {
    await api.patch(`/api/v1/venues/${venueId}`, { opening_hours: before.opening_hours }, token);
  }
}
