import type { DataSource } from "typeorm";
import { queryPrepared } from "../db/rows";
import type { RequestStore } from "../db/sql-counter";
import { User } from "../entities";
import { ADMIN_ORGANIZATION_IDS } from "./api-key";

/** A user by id with the organizations they administer (what a Viewer needs), or undefined. */
export async function loadUserRecord(
  dataSource: DataSource,
  userId: number,
  store: RequestStore | undefined,
): Promise<{ user: User; adminOrganizationIds: number[] } | undefined> {
  const sql =
    cachedSql.get(dataSource) ??
    (() => {
      const columns = dataSource
        .getMetadata(User)
        .columns.map((c) => `u."${c.databaseName}" AS "${c.propertyName}"`)
        .join(", ");
      const text = `SELECT ${columns}, ${ADMIN_ORGANIZATION_IDS} AS "__adminOrgIds" FROM users u WHERE u."id" = $1`;
      cachedSql.set(dataSource, text);
      return text;
    })();
  const rows = await queryPrepared<Record<string, unknown>>(dataSource, sql, [userId], store);
  if (rows.length === 0) return undefined;
  const { __adminOrgIds, ...columns } = rows[0];
  return { user: Object.assign(Object.create(User.prototype) as User, columns), adminOrganizationIds: __adminOrgIds as number[] };
}

const cachedSql = new WeakMap<DataSource, string>();
