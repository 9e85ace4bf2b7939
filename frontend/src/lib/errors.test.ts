import { describe, expect, it } from "vitest";

import { ApiError, describeError, fieldPath, toApiError } from "./errors";

const invalid = (...detail: { loc: (string | number)[]; msg: string }[]) =>
  toApiError(422, { error: "invalid", detail: detail.map((d) => ({ ...d, type: "value_error" })) });

describe("describeError", () => {
  it("puts each 422 message at the field its loc names, nested paths under their field", () => {
    const error = invalid(
      { loc: ["body", "name"], msg: "Field required" },
      { loc: ["body", "hours", 0, "opens"], msg: "Value error, Opening time is not a time" },
      { loc: ["body", "hours", 1, "closes"], msg: "second problem of the same field" },
    );
    expect(describeError(error, ["name", "hours"])).toEqual({
      fields: { name: "Field required", hours: "Opening time is not a time" },
      form: null,
    });
    expect(describeError(error, ["name", "hours.0.opens"]).fields["hours.0.opens"]).toBe(
      "Opening time is not a time",
    );
  });

  it("keeps what no field shows for the form, with its path", () => {
    const error = invalid({ loc: ["query", "limit"], msg: "too big" }, { loc: ["body"], msg: "bad JSON" });
    expect(describeError(error, ["name"])).toEqual({ fields: {}, form: "limit: too big\nbad JSON" });
  });

  it("gives other errors' detail to the form", () => {
    const error = toApiError(409, { error: "table_label_taken", detail: "A table already has this label" });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe("table_label_taken");
    expect(describeError(error, ["label"])).toEqual({ fields: {}, form: "A table already has this label" });
    expect(describeError(null)).toEqual({ fields: {}, form: null });
  });

  it("renames an input the API spells differently", () => {
    const error = invalid({ loc: ["body", "username"], msg: "Field required" });
    expect(describeError(error, ["email"], { username: "email" }).fields).toEqual({ email: "Field required" });
  });
});

describe("fieldPath", () => {
  it("drops where the value was", () => {
    expect(fieldPath(["body", "items", 2, "price_minor"])).toBe("items.2.price_minor");
    expect(fieldPath(["path", "venue_id"])).toBe("venue_id");
  });
});
