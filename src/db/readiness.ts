import type { DataSource } from "typeorm";
import type { Logger } from "../logger";
import { GatewayClient, type GatewayClientOptions } from "./pg-client";

/** Longest a readiness check waits for the database (connecting included), ms. */
export const READINESS_TIMEOUT_MS = 2_000;

/**
 * `/readyz`'s view of the database, on a connection of its own (not from the request pool): a pool
 * saturated by slow requests is busy, not down, and must not make every instance look dead to a
 * load balancer. One check runs at a time (concurrent probes share it); the connection is kept
 * between checks and replaced when it fails. Every check is bounded by READINESS_TIMEOUT_MS.
 */
export class ReadinessProbe {
  private client: GatewayClient | undefined;
  private running: Promise<boolean> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {}

  /** True when the data source is connected and the database answers `SELECT 1` in time. */
  check(): Promise<boolean> {
    this.running ??= this.probe().finally(() => (this.running = undefined));
    return this.running;
  }

  private async probe(): Promise<boolean> {
    if (!this.dataSource.isInitialized) return false;
    try {
      const client = this.client ?? (await this.open());
      await client.query("SELECT 1");
      return true;
    } catch (err) {
      this.logger.warn("readiness check failed", { error: (err as Error).message });
      this.drop();
      return false;
    }
  }

  private async open(): Promise<GatewayClient> {
    // The same connection settings as the request pool (URL, session options, keepalive).
    const pool = (this.dataSource.driver as unknown as { master: { options: Record<string, unknown> } }).master;
    const gateway: GatewayClientOptions = { queryDeadlineMs: READINESS_TIMEOUT_MS, logger: this.logger };
    const client = new GatewayClient({ ...pool.options, connectionTimeoutMillis: READINESS_TIMEOUT_MS, gateway });
    this.client = client;
    client.on("end", () => {
      if (this.client === client) this.client = undefined;
    });
    await client.connect();
    return client;
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client) void client.end().catch(() => undefined);
  }

  /** Closes the probe's connection (shutdown). */
  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    this.drop();
  }
}
