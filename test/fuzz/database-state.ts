import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A fingerprint per table (row count and an md5 over every row's text form), to prove that a
 * batch of refused requests changed no row anywhere.
 */
export async function tableFingerprints(em: EntityManager): Promise<Record<string, string>> {
  const connection = em.getConnection();
  const tables: Array<{ name: string }> = await connection.execute(
    `select tablename as name from pg_tables where schemaname = 'public' and tablename <> 'mikro_orm_migrations' order by tablename`,
  );
  const fingerprints: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await connection.execute(
      `select count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as fingerprint from "${name}" t`,
    );
    fingerprints[name] = String(row?.fingerprint);
  }
  return fingerprints;
}
