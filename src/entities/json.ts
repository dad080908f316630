/** A `jsonb` column's value: Cal.com stores objects and arrays there. */
export type Json = { [key: string]: unknown } | unknown[] | null;
