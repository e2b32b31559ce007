/**
 * The SQL of the write path. One statement appends a whole batch of commands:
 * run alone it is its own transaction, so a batch costs one round trip and
 * one commit. The statement is assembled from only the parts a batch needs
 * (each shape is prepared once per connection), because every extra part
 * costs server time on every append.
 *
 * Per-stream order in the global read, `(transaction_id, id)`, needs the
 * writers of a stream to get increasing transaction ids in the order they
 * commit. A transaction id is assigned at the first write, which in a batch
 * may come before the wait for a busy stream. So every writer first takes
 * an advisory lock on each of its streams, in one sorted pass (lockers never
 * deadlock), before it writes anything: advisory locks take no transaction
 * id, and whoever gets a stream's lock after a writer committed is assigned
 * its id after that commit.
 */

/** Which parts a batch statement needs. */
export interface BatchShape {
  /** Some write expects "no stream". */
  create: boolean;
  /** Some write expects an exact version. */
  advance: boolean;
  /** Some write expects "any". */
  any: boolean;
  /** Some command carries a command id. */
  commandIds: boolean;
  /** Refuse (es_refuse, "append refused") unless every write appended: see {@link STRICT}. */
  strict: boolean;
}

/**
 * A strict statement raises where a plain one reports: a failed check or a
 * command handled before ends it with SQLSTATE RF001 (migration 002), which
 * aborts its transaction. That lets the statements and the COMMIT behind it
 * go out without waiting for its answer; the caller then runs the command
 * again the plain way to learn which it was.
 */
export const STRICT = "append refused";

/** The guard row a strict statement ends with; it raises when `missing` finds a write not appended. */
function guard(missing: string): string {
  return `
UNION ALL
SELECT 2, NULL, 0, NULL, NULL, NULL
WHERE CASE WHEN EXISTS (${missing}) THEN es_refuse('${STRICT}') ELSE false END`;
}

/** Takes advisory locks on streams in one sorted pass, so lockers never deadlock. */
export const LOCK_STREAMS = `
SELECT count(pg_advisory_xact_lock(k))::int AS n
FROM (SELECT DISTINCT hashtextextended(s::text, 0) AS k FROM unnest($1::uuid[]) AS s ORDER BY 1) AS l`;

/**
 * The append statement of a batch shape. Writes: $1 stream ids, $2 aggregate
 * types, $3 expected versions (-1 any, 0 no stream, n exact), $4 event
 * counts, $5 command ids, $6 metadata. Events: $7 ids, $8 write ordinal, $9
 * ordinal in the write, $10 types, $11 payloads, $12 schema versions.
 *
 * Returns one row per appended event (kind 0) and, with command ids, one per
 * command already handled (kind 1). A write with neither failed its check.
 * With a `notify` channel, the statement also sends the wake-up.
 */
export function appendSql(shape: BatchShape, notify?: string): string {
  const ctes: string[] = [];
  ctes.push(
    notify === undefined
      ? `locked AS MATERIALIZED (${LOCK_STREAMS})`
      : `locked AS MATERIALIZED (SELECT n, ${wake(notify)} FROM (${LOCK_STREAMS}) AS x)`,
  );
  ctes.push(`w AS MATERIALIZED (
  SELECT w.* FROM locked, unnest($1::uuid[], $2::text[], $3::int[],
    $4::int[], $5::uuid[], $6::text[])
    WITH ORDINALITY AS w(stream_id, aggregate_type, expected, n, command_id, metadata, ord))`);
  let todo = "w";
  if (shape.commandIds) {
    ctes.push(`prior AS MATERIALIZED (
  SELECT c.command_id, c.result FROM command_results c
  WHERE c.command_id IN (SELECT command_id FROM w WHERE command_id IS NOT NULL))`);
    ctes.push(`todo AS MATERIALIZED (
  SELECT * FROM w WHERE command_id IS NULL OR command_id NOT IN (SELECT command_id FROM prior))`);
    todo = "todo";
  }
  const claims: string[] = [];
  if (shape.create) {
    claims.push("created");
    ctes.push(`created AS (
  INSERT INTO streams (aggregate_id, aggregate_type, version)
  SELECT stream_id, aggregate_type, n FROM ${todo} WHERE expected = 0
  ON CONFLICT DO NOTHING
  RETURNING aggregate_id, version)`);
  }
  if (shape.advance) {
    claims.push("advanced");
    ctes.push(`advanced AS (
  UPDATE streams s SET version = s.version + t.n
  FROM ${todo} t
  WHERE t.expected > 0 AND s.aggregate_id = t.stream_id AND s.version = t.expected
  RETURNING s.aggregate_id, s.version)`);
  }
  if (shape.any) {
    claims.push("upserted");
    ctes.push(`upserted AS (
  INSERT INTO streams (aggregate_id, aggregate_type, version)
  SELECT stream_id, aggregate_type, n FROM ${todo} WHERE expected < 0
  ON CONFLICT (aggregate_id) DO UPDATE SET version = streams.version + excluded.version
  RETURNING aggregate_id, version)`);
  }
  const claimed = claims.length === 1
    ? claims[0]
    : `(${claims.map((c) => `SELECT * FROM ${c}`).join(" UNION ALL ")})`;
  ctes.push(`inserted AS (
  INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data,
    event_metadata, event_version, schema_version)
  SELECT e.event_id, t.stream_id, t.aggregate_type, e.event_type, e.data::jsonb,
    t.metadata::jsonb, c.version - t.n + e.seq, e.schema_version
  FROM unnest($7::uuid[], $8::int[], $9::int[], $10::text[], $11::text[], $12::int[])
    WITH ORDINALITY AS e(event_id, w, seq, event_type, data, schema_version, ord)
  JOIN ${todo} t ON t.ord = e.w
  JOIN ${claimed} c ON c.aggregate_id = t.stream_id
  ORDER BY e.ord
  RETURNING aggregate_id, event_version, id, transaction_id)`);
  let select = `SELECT 0 AS kind, aggregate_id::text AS s, event_version AS v,
  transaction_id::text AS x, id::text AS i, NULL::jsonb AS r
FROM inserted`;
  if (shape.commandIds) {
    ctes.push(`per_stream AS (
  SELECT aggregate_id, max(event_version) AS v,
    jsonb_agg(jsonb_build_array(transaction_id::text, id::text) ORDER BY event_version) AS p
  FROM inserted GROUP BY aggregate_id)`);
    ctes.push(`saved AS (
  INSERT INTO command_results (command_id, result)
  SELECT t.command_id,
    jsonb_agg(jsonb_build_object('streamId', t.stream_id, 'nextVersion', p.v, 'positions', p.p)
      ORDER BY t.ord)
  FROM todo t JOIN per_stream p ON p.aggregate_id = t.stream_id
  WHERE t.command_id IS NOT NULL
  GROUP BY t.command_id)`);
    select += `
UNION ALL
SELECT 1, command_id::text, 0, NULL, NULL, result FROM prior`;
  }
  if (shape.strict) {
    select += guard("SELECT 1 FROM w WHERE stream_id NOT IN (SELECT aggregate_id FROM inserted)");
  }
  return `WITH ${ctes.join(",\n")}\n${select}`;
}

/**
 * The payload-free wake-up, sent by the append's own commit: no transaction
 * of its own. The channel is a literal, so each channel has its statements.
 */
function wake(channel: string): string {
  return `pg_notify('${channel.replaceAll("'", "''")}', '') AS woke`;
}

/** Current versions of streams, for the message of a concurrency error. */
export const STREAM_VERSIONS = `
SELECT aggregate_id::text AS s, version AS v FROM streams WHERE aggregate_id = ANY($1::uuid[])`;

/** Which parts the statement of a lone single-stream command needs. */
export interface SingleShape {
  expect: "create" | "advance" | "any";
  commandId: boolean;
  /** Exactly one event: scalar parameters, no unnest. */
  one: boolean;
  /** Refuse unless it appended: see {@link STRICT}. */
  strict: boolean;
}

/**
 * The append statement of a batch of one command on one stream, the common
 * case at low concurrency: scalar parameters plan and run faster than the
 * batch statement. $1 stream id, $2 aggregate type, $3 expected version, $4
 * event count, $5 metadata; $6 event ids, $7 types, $8 payloads, $9 schema
 * versions (scalars when `one`, else arrays). Returns rows as
 * {@link appendSql} does.
 */
export function singleSql(
  shape: SingleShape,
  notify?: string,
  effects: readonly FoldedEffect[] = [],
): string {
  const ctes: string[] = [`locked AS MATERIALIZED (
  SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 0)) AS l${
    notify === undefined ? "" : `, ${wake(notify)}`
  })`];
  let unless = "";
  if (shape.commandId) {
    ctes.push(`prior AS MATERIALIZED (
  SELECT command_id, result FROM command_results WHERE command_id = $10::uuid)`);
    unless = " AND NOT EXISTS (SELECT 1 FROM prior)";
  }
  switch (shape.expect) {
    case "create":
      ctes.push(`claimed AS (
  INSERT INTO streams (aggregate_id, aggregate_type, version)
  SELECT $1::uuid, $2::text, $4::int FROM locked WHERE $3::int = 0${unless}
  ON CONFLICT DO NOTHING
  RETURNING version)`);
      break;
    case "advance":
      ctes.push(`claimed AS (
  UPDATE streams SET version = version + $4::int
  FROM locked
  WHERE aggregate_id = $1::uuid AND version = $3::int${
        unless ? unless.replace(" WHERE", " AND") : ""
      }
  RETURNING version)`);
      break;
    case "any":
      ctes.push(`claimed AS (
  INSERT INTO streams (aggregate_id, aggregate_type, version)
  SELECT $1::uuid, $2::text, $4::int FROM locked WHERE $3::int < 0${unless}
  ON CONFLICT (aggregate_id) DO UPDATE SET version = streams.version + excluded.version
  RETURNING version)`);
      break;
  }
  const source = shape.one
    ? `SELECT $6::uuid, $1::uuid, $2::text, $7::text, $8::text::jsonb, $5::text::jsonb, c.version,
    $9::int
  FROM claimed c`
    : `SELECT e.id, $1::uuid, $2::text, e.t, e.d::jsonb, $5::text::jsonb,
    c.version - $4::int + e.ord::int, e.sv
  FROM claimed c, unnest($6::uuid[], $7::text[], $8::text[], $9::int[])
    WITH ORDINALITY AS e(id, t, d, sv, ord)
  ORDER BY e.ord`;
  ctes.push(`inserted AS (
  INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data,
    event_metadata, event_version, schema_version)
  ${source}
  RETURNING aggregate_id, event_version, id, transaction_id)`);
  let select = `SELECT 0 AS kind, aggregate_id::text AS s, event_version AS v,
  transaction_id::text AS x, id::text AS i, NULL::jsonb AS r
FROM inserted`;
  if (shape.commandId) {
    ctes.push(`saved AS (
  INSERT INTO command_results (command_id, result)
  SELECT $10::uuid, jsonb_build_array(jsonb_build_object('streamId', $1::uuid,
    'nextVersion', max(event_version),
    'positions', jsonb_agg(jsonb_build_array(transaction_id::text, id::text) ORDER BY event_version)))
  FROM inserted HAVING count(*) > 0)`);
    select += `
UNION ALL
SELECT 1, command_id::text, 0, NULL, NULL, result FROM prior`;
  }
  if (shape.strict) select += guard("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM inserted)");
  select += foldEffects(ctes, effects);
  return `WITH ${ctes.join(",\n")}\n${select}`;
}

/** An effect statement folded into an append statement, its parameters numbered after the append's. */
export interface FoldedEffect {
  sql: string;
  /** An INSERT, UPDATE or DELETE, which runs for its writes; anything else runs only when read. */
  writes: boolean;
}

/** Renumbers a statement's parameters `$1…` to follow `offset` of the statement it joins. */
export function renumber(sql: string, offset: number): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

/**
 * Adds each effect as a CTE of the append statement. A data-modifying CTE
 * runs whether or not it is read; any other runs only when read, so the
 * returned branch reads each (a sum of row counts, never below zero), and
 * one that raises fails the whole statement. The branch returns no rows.
 */
function foldEffects(ctes: string[], effects: readonly FoldedEffect[]): string {
  const reads: string[] = [];
  effects.forEach((effect, i) => {
    ctes.push(`effect${i} AS (${effect.sql})`);
    if (!effect.writes) reads.push(`(SELECT count(*) FROM effect${i})`);
  });
  if (reads.length === 0) return "";
  // A sum, not AND: every operand is evaluated, where AND could stop at the first.
  return `
UNION ALL
SELECT 3, NULL, 0, NULL, NULL, NULL WHERE ${reads.join(" + ")} < 0`;
}
