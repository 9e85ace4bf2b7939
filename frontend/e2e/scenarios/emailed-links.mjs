// The pages emailed links open are the dashboard's: a new business account confirms its
// address, resets a forgotten password, and joins a venue's team from an invitation.
import { assert, backendApi, DEMO, emailedLink } from "../lib.mjs";

export const title = "Emailed links: confirm an address, reset a password, accept an invitation";

export default async function run(ctx) {
  const { page, step, screenshot, baseUrl } = ctx;
  const email = `e2e-${Date.now()}@example.com`;
  const password = "e2e-Strong-pass-42";
  const newPassword = "e2e-Other-pass-77";

  step("create an account; the confirmation email links to the dashboard");
  await page.goto("/sign-in");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Your name").fill("E2E Newcomer");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Create the account" }).click();
  // The API's 422 is shown at the password field.
  const passwordField = page.getByLabel("Password", { exact: true });
  await page.locator(".field__error").first().waitFor();
  assert.equal(await passwordField.getAttribute("aria-invalid"), "true");
  await screenshot("register-error");
  await passwordField.fill(password);
  await page.getByRole("button", { name: "Create the account" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
  const verify = await emailedLink(ctx, { to: email, path: "/verify-email" });
  assert.ok(verify.startsWith(`${baseUrl}/verify-email?token=`), verify);

  step("open the link and confirm");
  await page.goto(verify);
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await page.getByRole("heading", { name: "Address confirmed" }).waitFor();
  await screenshot("address-confirmed");

  step("sign in: no venue yet");
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "No venue yet" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/sign-in/);

  step("forgot the password: the reset link opens the dashboard");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  // The page loads on demand: fill its field, not the sign-in form's still on screen.
  await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
  const reset = await emailedLink(ctx, { to: email, path: "/reset-password" });
  assert.ok(reset.startsWith(`${baseUrl}/reset-password?token=`), reset);
  await page.goto(reset);
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("The same password again").fill("something-else-1");
  await page.getByRole("button", { name: "Change my password" }).click();
  await page.getByText("The two passwords are not the same").waitFor();
  await page.getByLabel("The same password again").fill(newPassword);
  await page.getByRole("button", { name: "Change my password" }).click();
  await page.getByRole("heading", { name: "Password changed" }).waitFor();
  await screenshot("password-changed");

  step("an owner invites the newcomer; the invitation link asks to sign in, then joins");
  const api = backendApi(ctx.backendUrl);
  const owner = await api.login(DEMO.owner);
  const mine = await api.get("/api/v1/venues/mine?limit=100", owner);
  const venue = mine.items.find((m) => m.role === "owner").venue;
  await api.post(`/api/v1/venues/${venue.id}/invites`, { email, role: "staff" }, owner);
  const invite = await emailedLink(ctx, { to: email, path: "/invites/accept" });
  assert.ok(invite.startsWith(`${baseUrl}/invites/accept?token=`), invite);
  await page.goto(invite);
  await page.waitForURL(/\/sign-in\?next=/);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(newPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Accept the invitation" }).waitFor();
  await screenshot("invitation");
  await page.getByRole("button", { name: "Accept the invitation" }).click();
  await page.waitForURL(new RegExp(`/venues/${venue.id}$`));
  await page.getByRole("heading", { name: "Venue" }).waitFor();
  const switcher = page.getByRole("combobox", { name: "Venue" });
  assert.equal(await switcher.locator("option:checked").innerText(), `${venue.name} (staff)`);
  await screenshot("joined");
}
