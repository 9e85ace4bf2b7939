// A new owner's draft nightclub: the Venue screen shows it as a draft with the club's
// own fields (minimum age, cover, dress code); a platform admin looks it up by id and
// verifies it; the owner's screen then says Verified.
import { assert, DEMO, DEMO_PASSWORD, eventually, signIn } from "../lib.mjs";

export const title = "Venue: a draft nightclub's fields, verified by a platform admin";

export default async function run({ page, api, step, screenshot, newPage }) {
  step("a new business account creates a draft nightclub (API)");
  const email = `e2e-owner-${Date.now()}@socia-e2e.com`;
  await api.post("/api/v1/auth/register", { email, password: DEMO_PASSWORD, full_name: "E2E Owner" });
  const ownerToken = await api.login(email);
  const club = await api.post(
    "/api/v1/venues",
    {
      kind: "nightclub",
      name: `E2E Club ${Date.now() % 100000}`,
      address: "1 MG Road",
      latitude: 12.9756,
      longitude: 77.6067,
      min_age: 21,
      opening_hours: [{ weekday: "friday", opens: "22:00", closes: "03:00" }],
    },
    ownerToken,
  );
  assert.equal(club.status, "draft");
  try {
    step("the owner sees a draft with the club's own fields, and sets a dress code");
    await signIn(page, email);
    await page.getByText("Draft", { exact: true }).waitFor();
    const form = page.getByRole("form", { name: "Profile" });
    assert.equal(await form.getByLabel("Minimum age").inputValue(), "21");
    assert.equal(await form.getByLabel(/^Cover charge/).count(), 1);
    assert.equal(await form.getByLabel("Cuisines").count(), 0, "no restaurant fields on a club");
    await form.getByLabel("Dress code").fill("Smart casual, no shorts");
    await form.getByLabel(/^Cover charge/).fill("1500");
    await form.getByRole("button", { name: "Save venue" }).click();
    await form.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const saved = await api.get(`/api/v1/venues/${club.id}`, ownerToken);
    assert.equal(saved.dress_code, "Smart casual, no shorts");
    assert.equal(saved.cover_charge_minor, 150000);
    await screenshot("draft-club");

    step("a platform admin verifies it by its id");
    const admin = await newPage();
    await admin.goto("/sign-in");
    await admin.getByLabel("Email").fill(DEMO.admin);
    await admin.getByLabel("Password").fill(DEMO_PASSWORD);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByRole("link", { name: "verify venues" }).click();
    await admin.getByLabel("Venue id").fill(club.id);
    await admin.getByRole("button", { name: "Look up" }).click();
    await admin.getByRole("button", { name: `Verify ${club.name}` }).click();
    await admin.getByRole("status").filter({ hasText: "Verified" }).waitFor();
    await screenshot("admin-verified", admin);
    const verified = await api.get(`/api/v1/venues/${club.id}`);
    assert.equal(verified.status, "verified");

    step("the owner's screen says Verified");
    await page.reload();
    await eventually(async () => (await page.getByText("Verified", { exact: true }).count()) > 0, { what: "Verified on the owner's screen" });
  } finally {
    await api.post(`/api/v1/venues/${club.id}/deactivate`, undefined, ownerToken).catch(() => {});
  }
}
