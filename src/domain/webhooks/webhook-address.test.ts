import { isBlockedAddress } from "./webhook-address";
import { retryDelayMs } from "./retry-schedule";
import { calSignature, standardWebhookSignature } from "./webhook-signature";

describe("webhook address blocking", () => {
  it.each([
    "127.0.0.1",
    "127.9.9.9",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fd00:ec2::254",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:a00:1",
    "not-an-ip",
    "::7f00:1",
    "::ffff:0:7f00:1",
    "fec0::1",
    "64:ff9b:1::a00:1",
    "2002:7f00:1::1",
  ])("refuses %s", (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("allows %s", (address) =>
    expect(isBlockedAddress(address)).toBe(false),
  );
});

describe("webhook retry schedule", () => {
  it("waits base × 2^(n−1) after attempt n, plus up to 20%", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 30_000, 0))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(3, 30_000, 1)).toBe(144_000);
  });
});

describe("webhook signatures", () => {
  it("match published HMAC-SHA256 values", () => {
    // RFC 4231-style check of the primitive: HMAC-SHA256(key "key", "The quick brown fox jumps over the lazy dog").
    expect(calSignature("The quick brown fox jumps over the lazy dog", "key")).toBe(
      "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
    );
    expect(calSignature("{}", null)).toBe("no-secret-provided"); // Cal.com's header for a webhook without a secret
    expect(standardWebhookSignature("msg_1", 1700000000, "{}", "s")).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });
});
