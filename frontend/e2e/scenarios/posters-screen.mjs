// The Posters screen: a manager creates a poster (with its card and offline map
// previews), finds it in the public feed API around the venue, sees its impressions
// and taps as charts, pauses it (it leaves the feed, "paused" says why) and resumes it.
import { assert, DEMO, eventually, signIn } from "../lib.mjs";

export const title = "Posters: create a poster, see it in the public feed, its numbers, pause and resume";

async function inFeed(api, lat, lng, posterId) {
  for (let offset = 0; offset <= 1000; offset += 50) {
    const page = await api.get(`/api/v1/posters/feed?lat=${lat}&lng=${lng}&limit=50&offset=${offset}`);
    if (page.items.some((p) => p.id === posterId)) return true;
    if (offset + page.items.length >= page.total) return false;
  }
  return false;
}

export default async function run({ page, api, step, screenshot }) {
  const token = await api.login(DEMO.manager);
  step("sign in as the demo manager and open Posters");
  await signIn(page, DEMO.manager);
  const venueId = new URL(page.url()).pathname.split("/")[2];
  const venue = await api.get(`/api/v1/venues/${venueId}`, token);
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Posters", exact: true }).click();
  const titleText = `E2E poster ${Date.now() % 100000}`;

  step("fill the form: the previews follow");
  await page.getByRole("button", { name: "New poster" }).click();
  const form = page.getByRole("form", { name: "New poster" });
  await form.getByLabel("Title").fill(titleText);
  await form.getByLabel("Image URL").fill("https://demo.socia.app/poster.svg");
  await form.getByLabel("Radius (metres)").fill("2000");
  await page.getByLabel("Preview of the poster in the app").getByText(titleText).waitFor();
  const map = page.getByRole("img", { name: /Map preview: .* shown within 2 km, covered by \d+ H3 cells at resolution 7/ });
  await map.waitFor();
  assert.ok((await map.locator("polygon").count()) > 3, "the map draws the covering's hexagons");

  step("an image that is not https is refused at the field");
  await form.getByLabel("Image URL").fill("http://demo.socia.app/poster.svg");
  await form.getByRole("button", { name: "Create poster" }).click();
  await eventually(async () => (await form.getByLabel("Image URL").getAttribute("aria-invalid")) === "true", { what: "the image URL error" });
  await form.getByLabel("Image URL").fill("https://demo.socia.app/poster.svg");
  await screenshot("poster-form");

  step("create it");
  await form.getByRole("button", { name: "Create poster" }).click();
  await form.waitFor({ state: "detached" });
  const card = page.getByRole("article", { name: titleText });
  await card.getByText("Showing", { exact: true }).waitFor();
  const list = await api.get(`/api/v1/venues/${venueId}/posters?limit=50`, token);
  const poster = list.items.find((p) => p.title === titleText);
  assert.ok(poster, "the API has the poster");
  assert.equal(poster.radius_m, 2000);
  assert.equal(poster.showing, true);

  step("it is in the public feed around the venue (and not 10 km away)");
  assert.ok(await inFeed(api, venue.latitude, venue.longitude, poster.id), "in the feed at the venue");
  assert.ok(!(await inFeed(api, venue.latitude + 0.09, venue.longitude, poster.id)), "not in the feed 10 km north");

  step("the app reports an impression and a tap; the numbers show as charts");
  const now = new Date().toISOString();
  await api.post("/api/v1/posters/events", {
    events: [
      { id: crypto.randomUUID(), poster_id: poster.id, kind: "impression", occurred_at: now, lat: venue.latitude + 0.004, lng: venue.longitude },
      { id: crypto.randomUUID(), poster_id: poster.id, kind: "tap", occurred_at: now, lat: venue.latitude + 0.004, lng: venue.longitude },
    ],
  });
  await card.getByRole("button", { name: "Numbers" }).click();
  await card.getByRole("img", { name: /Per day/ }).waitFor();
  await card.getByRole("img", { name: /Per area/ }).waitFor();
  await card.getByText(/1\s+impressions, 1\s+taps/).waitFor();
  await card.scrollIntoViewIfNeeded();
  await screenshot("posters");

  step("pause: it leaves the feed and says why");
  await card.getByRole("button", { name: "Pause" }).click();
  await card.getByRole("list", { name: "Not showing because" }).getByText("it is paused").waitFor();
  assert.ok(!(await inFeed(api, venue.latitude, venue.longitude, poster.id)), "a paused poster is not in the feed");
  const paused = await api.get(`/api/v1/venues/${venueId}/posters/${poster.id}`, token);
  assert.deepEqual(paused.not_showing_because, ["paused"]);

  step("resume: back in the feed");
  await card.getByRole("button", { name: "Resume" }).click();
  await card.getByText("Showing", { exact: true }).waitFor();
  assert.ok(await inFeed(api, venue.latitude, venue.longitude, poster.id), "back in the feed");

  await api.delete(`/api/v1/venues/${venueId}/posters/${poster.id}`, token);
}
