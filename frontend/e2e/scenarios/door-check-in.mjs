// The door: a demo booking's ticket is checked in at Bassline's door on a phone-sized
// screen (its code typed, as a scanner would read it) and let in; scanned again it is
// refused as already inside; the guests inside go up.
import { assert, signIn } from "../lib.mjs";
import { NIGHT, consumerToken, managerVenue } from "../night.mjs";

export const title = "Check a ticket in at the door, and see it refused the second time";

export default async function run(ctx) {
  const { api, newPage, step, screenshot } = ctx;
  step("a demo consumer's paid booking and one of its tickets that is not inside");
  const guest = await consumerToken(ctx, NIGHT.diya);
  const bookings = await api.get("/api/v1/bookings", guest);
  const booking = bookings.items.find((b) => b.status === "confirmed");
  assert.ok(booking, "Diya has a confirmed booking");
  const tickets = (await api.get(`/api/v1/bookings/${booking.id}/tickets`, guest)).items;
  const ticket = tickets.find((t) => t.status === "valid" && !t.inside);
  assert.ok(ticket, "a valid ticket not inside yet");

  step("the manager moves the night to now, so the door is open");
  const { token: manager, venue } = await managerVenue(api, NIGHT.clubManager);
  const now = Date.now();
  await api.patch(
    `/api/v1/venues/${venue.id}/events/${booking.event_id}`,
    { starts_at: new Date(now - 30 * 60_000).toISOString(), ends_at: new Date(now + 5 * 3600_000).toISOString() },
    manager,
  );
  const before = await api.get(`/api/v1/venues/${venue.id}/events/${booking.event_id}/attendance`, manager);

  step("door staff sign in on a phone and open the door screen for that event");
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await signIn(phone, NIGHT.clubDoor);
  await phone.getByRole("link", { name: "Door", exact: true }).click();
  await phone.getByRole("combobox", { name: "Event" }).selectOption(booking.event_id);
  const result = phone.locator(".door-result");
  await result.filter({ hasText: "Ready to scan" }).waitFor();

  step("the ticket's code is let in, with its guests");
  const code = phone.getByRole("textbox", { name: "Ticket code" });
  await code.fill(ticket.ticket_url);
  await phone.getByRole("button", { name: "Check the code" }).click();
  await result.filter({ hasText: "Let in" }).waitFor();
  assert.match(await result.innerText(), new RegExp(`${ticket.guests} guests? on the pass`));
  assert.equal(await result.getAttribute("aria-live"), "assertive");
  const inside = before.guests_inside + ticket.guests;
  await phone.getByText(`${inside} ${inside === 1 ? "guest" : "guests"} inside now`, { exact: false }).waitFor();
  await screenshot("let-in", phone);

  step("the same ticket again is refused: already inside");
  await code.fill(ticket.ticket_url);
  await phone.getByRole("button", { name: "Check the code" }).click();
  await result.filter({ hasText: "Already inside" }).waitFor();
  assert.equal(await result.getAttribute("data-tone"), "stop");
  await screenshot("already-inside", phone);

  const after = await api.get(`/api/v1/venues/${venue.id}/events/${booking.event_id}/attendance`, manager);
  assert.equal(after.guests_inside, before.guests_inside + ticket.guests);
}
