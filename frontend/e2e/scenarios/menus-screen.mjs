// The Menus screen: a manager changes an item's price and the public whole-menu API
// has it; marks the item sold out in one tap (the public menu says so) and back.
import { assert, DEMO, eventually, signIn } from "../lib.mjs";

export const title = "Menus: change a price, see it in the public menu; sold out and back";

function items(menu) {
  const all = [];
  const walk = (category) => {
    all.push(...category.items);
    category.subcategories.forEach(walk);
  };
  for (const m of menu.menus) m.categories.forEach(walk);
  return all;
}

export default async function run({ page, api, step, screenshot, newPage }) {
  const token = await api.login(DEMO.manager);
  step("sign in as the demo manager and open Menus");
  await signIn(page, DEMO.manager);
  const venueId = new URL(page.url()).pathname.split("/")[2];
  const publicMenu = () => api.get(`/api/v1/venues/${venueId}/menu`); // no token: the public route
  const item = items(await publicMenu()).find((i) => i.is_available && i.variants.length === 0);
  assert.ok(item, "the demo venue has an available item");
  const newPrice = item.price_minor + 1550; // ₹15.50 more
  try {
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Menus", exact: true }).click();
    await page.getByRole("button", { name: `Edit ${item.name}`, exact: true }).click();

    step(`change the price of ${item.name} to ${newPrice / 100}`);
    const form = page.getByRole("form", { name: `Edit ${item.name}` });
    await form.getByLabel(/^Price/).fill(String(newPrice / 100));
    await form.getByRole("button", { name: "Save item" }).click();
    await form.waitFor({ state: "detached" });
    await eventually(async () => items(await publicMenu()).find((i) => i.id === item.id)?.price_minor === newPrice, {
      what: "the new price in the public whole-menu API",
    });
    await page.getByText(`₹${(newPrice / 100).toFixed(2)}`).first().waitFor();

    step(`mark ${item.name} sold out in one tap`);
    const toggle = page.getByRole("button", { name: `${item.name}: sold out`, exact: true });
    assert.equal(await toggle.getAttribute("aria-pressed"), "false");
    await toggle.click();
    await eventually(async () => (await toggle.getAttribute("aria-pressed")) === "true", { what: "the toggle pressed" });
    await eventually(async () => items(await publicMenu()).find((i) => i.id === item.id)?.is_available === false, {
      what: "sold out in the public menu",
    });
    await toggle.scrollIntoViewIfNeeded();
    await screenshot("menus");

    step("a phone-sized screen shows the same tree");
    const phone = await newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, DEMO.manager);
    await phone.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Menus", exact: true }).click();
    await phone.getByRole("button", { name: `${item.name}: sold out`, exact: true }).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no sideways scrolling at 390px (overflow ${overflow}px)`);
    await phone.screenshot({ path: new URL("../screenshots/menus-screen-phone-390.png", import.meta.url).pathname });
    await phone.close();

    step("drag the category's second item onto its first; Up puts it back (keyboard)");
    const category = (await publicMenu()).menus[0].categories.find((c) => c.items.length >= 2);
    const [first, second] = category.items;
    const order = async () => (await publicMenu()).menus[0].categories.find((c) => c.id === category.id).items.map((i) => i.id);
    const rowOf = (name) => page.locator(".tree-row", { has: page.getByText(name, { exact: true }) }).first();
    await rowOf(second.name).dragTo(rowOf(first.name));
    await eventually(async () => (await order())[0] === second.id, { what: "the dragged order in the API" });
    await page.getByRole("button", { name: `Move ${first.name} up`, exact: true }).click();
    await eventually(async () => (await order())[0] === first.id, { what: "the order put back with Up" });

    step("and back in another tap");
    await toggle.click();
    await eventually(async () => (await toggle.getAttribute("aria-pressed")) === "false", { what: "the toggle released" });
    await eventually(async () => items(await publicMenu()).find((i) => i.id === item.id)?.is_available === true, {
      what: "available again in the public menu",
    });

    step("import a menu file: every problem is listed at its path, then a fixed file goes in");
    const name = `E2E import ${Date.now() % 100000}`;
    const broken = {
      name,
      categories: [{ name: "Shots", items: [{ name: "Tequila", price_minor: -100 }, { price_minor: 9000 }] }],
    };
    await page.getByRole("button", { name: "Import from a file" }).click();
    const upload = (content) =>
      page.getByLabel("Menu file (JSON)").setInputFiles({ name: "shots.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(content)) });
    await upload(broken);
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const problems = page.getByRole("list", { name: "Import problems" });
    await problems.waitFor();
    const lines = await problems.getByRole("listitem").allInnerTexts();
    assert.ok(lines.some((l) => l.startsWith("categories[0] “Shots” › items[0] “Tequila” › price_minor:")), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("categories[0] “Shots” › items[1] › name:")), lines.join("\n"));
    await problems.scrollIntoViewIfNeeded();
    await screenshot("import-problems");
    broken.categories[0].items = [{ name: "Tequila", price_minor: 25000, is_alcoholic: true, abv: 38 }, { name: "Jägerbomb", price_minor: 45000 }];
    await upload(broken);
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.getByRole("status").filter({ hasText: `Imported “${name}”` }).waitFor();
    const imported = (await publicMenu()).menus.find((m) => m.name === name);
    assert.ok(imported, "the imported menu is in the public menu");
    assert.deepEqual(imported.categories[0].items.map((i) => i.name), ["Tequila", "Jägerbomb"]);
    await page.getByRole("region", { name: `Menu ${name}` }).waitFor();
    await api.delete(`/api/v1/venues/${venueId}/menus/${imported.id}?force=true`, token);
  } finally {
    await api.patch(`/api/v1/venues/${venueId}/items/${item.id}`, { price_minor: item.price_minor, is_available: true }, token);
  }
}
