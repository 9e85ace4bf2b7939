// A demo manager signs in, sees the venue switcher with their role, stays signed in
// through a reload (the refresh cookie), and signs out (which ends the session).
import { assert, DEMO, DEMO_PASSWORD, signIn } from "../lib.mjs";

export const title = "Sign in as a manager, reload, sign out";

export default async function run({ page, step, screenshot }) {
  step("a signed-out visit goes to the sign-in page");
  await page.goto("/");
  await page.waitForURL(/\/sign-in/);
  await screenshot("sign-in");

  step("a wrong password is refused on the page");
  await page.getByLabel("Email", { exact: true }).fill(DEMO.manager);
  await page.getByLabel("Password", { exact: true }).fill("not-the-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Incorrect email or password" }).waitFor();

  step("sign in");
  await signIn(page, DEMO.manager, DEMO_PASSWORD);
  const switcher = page.getByRole("combobox", { name: "Venue" });
  const selected = await switcher.locator("option:checked").innerText();
  assert.equal(selected, `${DEMO.managerVenue} (manager)`);
  assert.match(page.url(), /\/venues\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { name: "Venue", exact: true }).waitFor();
  await screenshot("venue");
  await page.setViewportSize({ width: 390, height: 844 }); // a phone at the door
  await page.locator("summary").click();
  await screenshot("venue-phone");
  await page.locator("summary").click();
  await page.setViewportSize({ width: 1280, height: 800 });

  step("no token where scripts can read it");
  const stored = await page.evaluate(() => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
    cookies: document.cookie.split(";").map((c) => c.trim().split("=")[0]),
  }));
  assert.deepEqual(stored.local, []);
  assert.deepEqual(stored.session, []);
  assert.deepEqual(stored.cookies, ["socia_csrf"]); // socia_refresh is httpOnly
  const cookies = await page.context().cookies();
  const refresh = cookies.find((c) => c.name === "socia_refresh");
  assert.ok(refresh, "the refresh cookie is set");
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.sameSite, "Strict");
  assert.equal(refresh.path, "/api/v1/auth/cookie");

  step("a reload keeps the session");
  const url = page.url();
  await page.getByRole("link", { name: "Menus" }).click();
  await page.getByRole("heading", { name: "Menus" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "Menus" }).waitFor();
  assert.equal(await switcher.locator("option:checked").innerText(), `${DEMO.managerVenue} (manager)`);
  await page.goto(url);
  await switcher.waitFor();

  step("sign out");
  await page.locator("summary", { hasText: /Manager|@/ }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL(/\/sign-in/);
  const left = await page.context().cookies();
  assert.deepEqual(left.map((c) => c.name), []);
  await page.reload();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await page.goto(url);
  await page.waitForURL(/\/sign-in\?next=/);
  await screenshot("signed-out");
}
