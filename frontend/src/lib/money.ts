/** Money is integer minor units with a currency (paise for INR). */

const formatters = new Map<string, Intl.NumberFormat>();

/** `150000, "INR"` -> `₹1,500.00`. */
export function formatMoney(minor: number, currency = "INR"): string {
  let format = formatters.get(currency);
  if (!format) {
    format = new Intl.NumberFormat("en-IN", { style: "currency", currency });
    formatters.set(currency, format);
  }
  return format.format(minor / 100);
}

/**
 * What a person typed as an amount in major units (`"12.5"`, `"1,200"`) in minor units,
 * or null when it is not an amount with at most two decimals.
 */
export function parseMoney(text: string): number | null {
  const clean = text.replace(/[,\s₹]/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return null;
  const [whole = "0", fraction = ""] = clean.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

/** Minor units as the number a person types (`150050` -> `"1500.50"`). */
export function moneyInput(minor: number): string {
  return (minor / 100).toFixed(2);
}
