/** Where the test run's Postgres and template database are (set by global-setup). */
export const TEMPLATE_DB = "gateway_test_template";

export function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: jest's global-setup should have set it");
  return url;
}

/** The same server, another database. */
export function urlForDatabase(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = "/" + name;
  return url.toString();
}
