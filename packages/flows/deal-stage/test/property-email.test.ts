import { describe, expect, it } from "vitest";
import { parseDealBody } from "../src/domain/deal";
import { formatArea, formatMoney, propertyEmail } from "../src/domain/property-email";
import { dealBody, fixtureBody } from "./fixtures";

const dealOf = (body: string) => {
  const verdict = parseDealBody(body);
  if (!verdict.ok) throw new Error(verdict.reason);
  return verdict.deal;
};

describe("money and sizes", () => {
  it.each([
    [485000, "USD", "$485,000.00"],
    [485000, "EUR", "€485,000.00"],
    [485000, "JPY", "¥485,000"],
    [1234.5, "GBP", "£1,234.50"],
    [0.5, "KWD", "KWD 0.500"],
  ])("%d %s → %s (the currency's own minor digits)", (value, currency, shown) => {
    expect(formatMoney(value, currency).replace(/\u00a0/g, " ")).toBe(shown);
  });

  it("sizes in square feet, rounded", () => {
    expect(formatArea(1840)).toBe("1,840 sq ft");
    expect(formatArea(959.6)).toBe("960 sq ft");
  });
});

describe("the property email", () => {
  it("addresses the buyer and lists the address, type, size and value", () => {
    const email = propertyEmail(dealOf(fixtureBody("deal-committed")));
    expect(email.to).toEqual({ email: "Valery.OConnor@Example.com", name: "Valéry O'Connor-Smith" });
    expect(email.subject).toBe("Your property: 12 Harbor Lane, Portland, OR 97201");
    expect(email.text).toContain("Hello Valéry,");
    expect(email.text).toContain("Address: 12 Harbor Lane, Portland, OR 97201");
    expect(email.text).toContain("Property type: Townhouse");
    expect(email.text).toContain("Size: 1,840 sq ft");
    expect(email.text).toContain("Deal value: $485,000.00");
    expect(email.html).toContain('<th align="left">Deal value</th><td>$485,000.00</td>');
    expect(email.params).toMatchObject({
      firstName: "Valéry",
      address: "12 Harbor Lane, Portland, OR 97201",
      propertyType: "Townhouse",
      size: "1,840 sq ft",
      dealValue: "$485,000.00",
    });
  });

  it("escapes markup from the CRM in the HTML part and folds line breaks out of the subject", () => {
    const email = propertyEmail(
      dealOf(
        dealBody("deal-committed", (d) => {
          d.propertyInformation.address = '<img src=x onerror="alert(1)">\r\nBcc: evil@example.com';
          d.customer.firstName = "<b>Eve</b>";
        }),
      ),
    );
    expect(email.html).not.toMatch(/<img|<b>/);
    expect(email.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.text).toContain("Hello <b>Eve</b>,");
  });

  it("drops control and bidi-override characters and caps long values", () => {
    const email = propertyEmail(
      dealOf(
        dealBody("deal-committed", (d) => {
          d.propertyInformation.propertyType = "Villa\u202Egnp.exe\u0007";
          d.propertyInformation.address = "A".repeat(500);
        }),
      ),
    );
    expect(email.text).toContain("Property type: Villa gnp.exe");
    expect(email.text).not.toContain("\u202E");
    expect(email.text).not.toContain("\u0007");
    expect(email.subject.length).toBeLessThanOrEqual(150);
  });

  it("leaves out what the deal does not have", () => {
    const email = propertyEmail(
      dealOf(
        dealBody("deal-committed", (d) => {
          delete d.propertyInformation.squareFootage;
          delete d.propertyInformation.propertyType;
          delete d.customer.firstName;
          delete d.customer.lastName;
        }),
      ),
    );
    expect(email.text).not.toMatch(/Size|Property type/);
    expect(email.text.startsWith("Hello,")).toBe(true);
    expect(email.to).toEqual({ email: "Valery.OConnor@Example.com" });
  });
});
