import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billhubInProcess } from "../support/cli.ts";
import { openCliStore, type CliStore } from "../support/cli-store.ts";
import { createCustomer } from "../support/ledger.ts";
import { DATABASE_URL } from "../support/store.ts";

describe(`billhub credits (${DATABASE_URL ? "PostgreSQL" : "embedded store"})`, { timeout: 120_000 }, () => {
  let cli: CliStore;
  const credits = (...args: string[]) => billhubInProcess(["credits", ...args], cli.env);

  beforeAll(async () => {
    cli = await openCliStore("credits");
    await cli.onStore((store) => createCustomer(store, "acme"));
  });
  afterAll(() => cli.cleanup());

  it("grants units and money once, and shows the balance, the ledger and what expires", async () => {
    const units = await credits("grant", "acme", "--id", "welcome", "--feature", "api", "--amount", "500", "--expires-at", "2999-01-01T00:00:00Z", "--source", "promotion");
    expect(units).toMatchObject({ code: 0, stdout: "Granted: welcome, 500 units of api to acme, expires 2999-01-01T00:00:00.000Z.\n" });
    expect((await credits("grant", "acme", "--id", "welcome", "--feature", "api", "--amount", "500", "--expires-at", "2999-01-01T00:00:00Z", "--source", "promotion")).stdout).toContain("Already granted (unchanged): welcome");
    expect((await credits("grant", "acme", "--id", "topup", "--currency", "usd", "--amount", "2500", "--rollover", "cap:1000", "--priority", "2")).stdout).toBe("Granted: topup, 2500 USD minor units to acme.\n");

    const balance = await credits("balance", "acme");
    expect(balance.code).toBe(0);
    expect(balance.stdout).toMatch(/^credit\s+available\s+scheduled\s+granted\s+drawn\s+expired\nmoney \(USD\)\s+2500\s+0\s+2500\s+0\s+0\nunits of api\s+500\s+0\s+500\s+0\s+0\n/);
    expect(balance.stdout).toMatch(/\ntopup\s+USD\s+2500\s+2\s/);

    const history = await credits("history", "acme", "--limit", "1");
    expect(history.stdout).toMatch(/^at\s+grant\s+entry\s+amount\s+reference\n\S+\s+welcome\s+grant\s+500\s+welcome\nMore: --cursor \d+\n$/);
    expect((await credits("expiring", "acme")).stdout).toMatch(/^at\s+grant\s+of\s+amount\s+reason\n\S+\s+topup\s+USD\s+1500\s+rollover\n$/);
  });

  it("takes back what is left of a grant once per reason, and says so when a repeat or another reason finds nothing left", async () => {
    await cli.onStore((store) => createCustomer(store, "refunded"));
    await credits("grant", "refunded", "--id", "pack", "--feature", "api", "--amount", "300", "--source", "purchase");
    const taken = await credits("take-back", "refunded", "--grant", "pack", "--reason", "refund re_1");
    expect(taken).toMatchObject({ code: 0, stdout: "Took back 300 units of api of pack from refunded; nothing of it is left to draw.\n" });
    expect((await credits("take-back", "refunded", "--grant", "pack", "--reason", "refund re_1")).stdout).toBe("Already taken back for this reason (unchanged): 300 units of api of pack.\n");
    expect((await credits("take-back", "refunded", "--grant", "pack", "--reason", "refund re_2")).stdout).toBe("Nothing of pack was left to take back.\n");
    expect((await credits("balance", "refunded")).stdout).toMatch(/\nunits of api\s+0\s+0\s+300\s+0\s+300\n/);
    expect((await credits("history", "refunded", "--grant", "pack")).stdout).toMatch(/\n\S+\s+pack\s+expire\s+300\s+take-back:refund re_1\n$/);
  });

  it("takes back at most --amount of a grant, says what is left, and takes nothing more for the same reason with another --amount", async () => {
    await cli.onStore((store) => createCustomer(store, "partly"));
    await credits("grant", "partly", "--id", "topup", "--currency", "USD", "--amount", "2500");
    const taken = await credits("take-back", "partly", "--grant", "topup", "--reason", "refund re_7", "--amount", "1000");
    expect(taken).toMatchObject({ code: 0, stdout: "Took back 1000 USD minor units of topup from partly; 1500 is left to draw.\n" });
    expect((await credits("take-back", "partly", "--grant", "topup", "--reason", "refund re_7", "--amount", "2000")).stdout).toBe("Already taken back for this reason (unchanged): 1000 USD minor units of topup.\n");
    const fraction = await credits("take-back", "partly", "--grant", "topup", "--reason", "refund re_8", "--amount", "2.5");
    expect(fraction.code).toBe(1);
    expect(fraction.stderr).toContain("INVALID_AMOUNT: amount is whole minor units of USD (1000 = 10.00 in a 2-decimal currency), got 2.5");
    expect((await credits("balance", "partly")).stdout).toMatch(/\nmoney \(USD\)\s+1500\s+0\s+2500\s+0\s+1000\n/);
  });

  it("refuses a take-back without its grant or reason, or of a grant the customer does not have, and takes nothing", async () => {
    await cli.onStore((store) => createCustomer(store, "kept"));
    await credits("grant", "kept", "--id", "gift", "--feature", "api", "--amount", "40");
    const noReason = await credits("take-back", "kept", "--grant", "gift");
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain("billhub credits take-back needs --reason");
    expect((await credits("take-back", "kept", "--reason", "refund")).stderr).toContain("billhub credits take-back needs --grant");
    expect((await credits("take-back", "kept", "--grant", "nope", "--reason", "refund")).stderr).toContain('NOT_FOUND: Customer kept has no credit grant "nope"');
    expect((await credits("take-back", "kept", "--grant", "gift", "--reason", "refund", "--until", "2027-01-01T00:00:00Z")).stderr).toContain("--until does not belong to billhub credits take-back");
    expect((await credits("balance", "kept")).stdout).toMatch(/\nunits of api\s+40\s+0\s+40\s+0\s+0\n/);
  });

  it("refuses bad input with the error code and the usage, and grants nothing", async () => {
    const negative = await credits("grant", "acme", "--id", "bad", "--feature", "api", "--amount=-5");
    expect(negative.code).toBe(1);
    expect(negative.stderr).toContain("INVALID_AMOUNT: amount must be positive, got -5");
    const mismatch = await credits("grant", "acme", "--id", "bad", "--currency", "EUR", "--amount", "5");
    expect(mismatch.stderr).toContain("CURRENCY_MISMATCH");
    expect((await credits("grant", "acme", "--feature", "api", "--amount", "5")).stderr).toContain("billhub credits grant needs --id");
    expect((await credits("balance", "acme", "--until", "2027-01-01T00:00:00Z")).stderr).toContain("--until does not belong to billhub credits balance");
    expect((await credits("refund", "acme")).stderr).toContain('Unknown credits action "refund"');
    expect((await credits("balance", "nobody")).stderr).toContain("CUSTOMER_NOT_FOUND");
    expect((await credits("history", "acme", "--grant", "bad")).stdout).toBe("at  grant  entry  amount  reference\n");
  });
});
