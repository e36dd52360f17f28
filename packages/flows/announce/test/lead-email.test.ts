import { type MergedLead, slackFields } from "@leadrelay/core";
import { describe, expect, it } from "vitest";
import { emailNoticeKey, leadAnnouncementEmail, leadEmailFields } from "../src/domain/lead-email";

const LEAD: MergedLead = {
  leadId: "lead_Email0001",
  name: "Maya Okafor",
  createdAt: "2026-11-20T14:03:11.198000+00:00",
  statusLabel: "Potential",
  email: "maya@harborpine.example",
  owner: "Olga Owner",
  funnel: "Webinar",
  closeUrl: "https://app.close.com/lead/lead_Email0001/",
  receivedAt: "2026-11-20T14:03:12.000Z",
};

describe("the announcement email", () => {
  it("has Slack's seven fields, same labels, same order", () => {
    expect(leadEmailFields(LEAD).map(([label]) => label)).toEqual(slackFields(LEAD).map(([label]) => label));
    expect(leadEmailFields(LEAD)).toEqual([
      ["Lead", "Maya Okafor"],
      ["Lead ID", "lead_Email0001"],
      ["Created", "20 Nov 2026, 14:03 UTC"],
      ["Status", "Potential"],
      ["Email", "maya@harborpine.example"],
      ["Owner", "Olga Owner"],
      ["Funnel", "Webinar"],
    ]);
  });

  it("is text and HTML, the name linked to the lead in Close", () => {
    const email = leadAnnouncementEmail(LEAD);
    expect(email.subject).toBe("New lead: Maya Okafor (lead_Email0001)");
    expect(email.text).toContain("Owner: Olga Owner\nFunnel: Webinar\n");
    expect(email.text).toContain("Open in Close: https://app.close.com/lead/lead_Email0001/");
    expect(email.html).toContain(
      '<tr><th align="left">Lead</th><td><a href="https://app.close.com/lead/lead_Email0001/">Maya Okafor</a></td></tr>',
    );
  });

  it("escapes every value: markup, quotes and entities stay text; line breaks cannot fake a field or a header", () => {
    const email = leadAnnouncementEmail({
      ...LEAD,
      name: 'Eve <script>alert("x")</script> & Co\r\nBcc: attacker@example.com',
      owner: "<img src=x onerror=alert(1)>",
      funnel: "a'b\u202eevil",
      createdAt: "not a <date>",
      email: null,
    });
    expect(email.html).not.toMatch(/<script|<img/);
    expect(email.html).toContain(
      "Eve &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co Bcc: attacker@example.com",
    );
    expect(email.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(email.html).toContain("a&#39;bevil");
    expect(email.html).toContain("<td>not a &lt;date&gt;</td>");
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.text.split("\n").filter((line) => line.startsWith("Bcc"))).toEqual([]);
    expect(email.text).toContain("Email: —");
  });

  it("cuts long values at 300 characters and a long subject name at 80", () => {
    const email = leadAnnouncementEmail({ ...LEAD, name: "N".repeat(500) });
    expect(email.subject).toBe(`New lead: ${"N".repeat(80)}… (lead_Email0001)`);
    expect(leadEmailFields({ ...LEAD, name: "N".repeat(500) })[0]?.[1]).toBe(`${"N".repeat(300)}…`);
  });

  it("links only to Close", () => {
    const email = leadAnnouncementEmail({ ...LEAD, closeUrl: "javascript:alert(1)" });
    expect(email.html).not.toContain("<a ");
    expect(email.text).not.toContain("Open in Close");
  });

  it("is marked under notified/, the prefix announce may write", () => {
    expect(emailNoticeKey("lead_Email0001")).toBe("notified/lead_Email0001.email.json");
  });
});
