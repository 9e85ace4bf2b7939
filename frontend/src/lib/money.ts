/**
 * Money is integer minor units (paise) with a currency code, never a float. Forms take
 * prices in major units (rupees, "120.50") and send minor units.
 */

const formatters = new Map<string, Intl.NumberFormat>();

/** `12050, "INR"` -> "₹120.50". */
export function formatMoney(minor: number, currency = "INR"): string {
  let format = formatters.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat("en-IN", { style: "currency", currency });
    } catch {
      return `${(minor / 100).toFixed(2)} ${currency}`;
    }
    formatters.set(currency, format);
  }
  return format.format(minor / 100);
}

/** Minor units as the text of a price input: 12050 -> "120.50", 12000 -> "120". */
export function minorToInput(minor: number | null | undefined): string {
  if (minor == null) return "";
  return minor % 100 === 0 ? String(minor / 100) : (minor / 100).toFixed(2);
}

/**
 * The text of a price input as minor units: "120.5" -> 12050; "" -> null; anything else
 * (letters, three decimals, negative) -> NaN, for the form to refuse before sending.
 */
export function inputToMinor(text: string): number | null {
  const value = text.trim().replace(/,/g, "");
  if (value === "") return null;
  if (!/^\d+(\.\d{1,2})?$/.test(value)) return Number.NaN;
  const [whole = "0", fraction = ""] = value.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

/**
 * What a person typed as an amount in major units (`"12.5"`, `"1,200"`, `"₹ 40"`) in
 * minor units, or null when it is not an amount with at most two decimals.
 */
export function parseMoney(text: string): number | null {
  const minor = inputToMinor(text.replace(/[\s₹]/g, ""));
  return minor === null || Number.isNaN(minor) ? null : minor;
}

/** Minor units as the number a person types, always with paise (`150050` -> `"1500.50"`). */
export function moneyInput(minor: number): string {
  return (minor / 100).toFixed(2);
}
