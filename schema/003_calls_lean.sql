-- 003_calls_lean.sql: calls without per-row work the writer does not need.
-- run and seq are now computed from id = (run << 32) | seq instead of being
-- stored beside it and held to it by a CHECK: an insert binds, stores and
-- checks two values fewer (docs/performance.md has the measurements).  The
-- table reads as before: same columns in the same order with the same
-- values, so SELECT * and the views see no difference.  Writes name id and
-- the stored columns only (run and seq cannot be assigned).
--
-- The table is rebuilt (SQLite cannot drop a CHECK in place).  The caller
-- runs this with foreign_keys OFF, so that dropping the old table does not
-- cascade into service_requests, and checks the keys afterwards.  The views
-- are recreated as they were, because renaming a table checks every view.
DROP VIEW visits;
DROP VIEW call_keys;
DROP VIEW queue_legs;

CREATE TABLE calls_lean (
  id          INTEGER PRIMARY KEY,     -- (run << 32) | seq
  -- computed when read; never NULL (id is not), so not declared NOT NULL,
  -- which would compute them on every insert to check
  run         INTEGER GENERATED ALWAYS AS (id >> 32) VIRTUAL
                REFERENCES runs(id) ON DELETE CASCADE,
  seq         INTEGER GENERATED ALWAYS AS (id & 4294967295) VIRTUAL,
  line        TEXT,
  lang        TEXT,
  vars        TEXT,
  arrival     INTEGER NOT NULL,
  ended       INTEGER NOT NULL,
  outcome     TEXT NOT NULL,
  final_node  TEXT,
  counted     INTEGER NOT NULL,
  keys        TEXT NOT NULL DEFAULT '[]',
  visits      TEXT NOT NULL DEFAULT '[]',
  legs        TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO calls_lean(id, line, lang, vars, arrival, ended, outcome, final_node,
                       counted, keys, visits, legs)
  SELECT id, line, lang, vars, arrival, ended, outcome, final_node, counted, keys,
         visits, legs
  FROM calls ORDER BY id;
DROP TABLE calls;
ALTER TABLE calls_lean RENAME TO calls;

CREATE VIEW visits AS
  SELECT c.run AS run, c.seq AS call, j.key / 2 AS seq, j.value AS node,
         c.arrival + (c.visits ->> (j.key + 1)) AS t
  FROM calls AS c, json_each(c.visits) AS j
  WHERE j.key % 2 = 0;

CREATE VIEW call_keys AS
  SELECT c.run AS run, c.seq AS call, j.key / 2 AS seq, j.value AS key,
         c.arrival + (c.keys ->> (j.key + 1)) AS t
  FROM calls AS c, json_each(c.keys) AS j
  WHERE j.key % 2 = 0;

CREATE VIEW queue_legs AS
  SELECT c.run AS run, c.seq AS call, j.key AS seq, j.value ->> 0 AS queue,
         j.value ->> 1 AS tier, c.arrival + (j.value ->> 2) AS entered,
         c.arrival + (j.value ->> 3) AS answered, c.arrival + (j.value ->> 4) AS ended,
         j.value ->> 5 AS agent, j.value ->> 6 AS result, j.value ->> 7 AS found_free,
         c.counted AS counted
  FROM calls AS c, json_each(c.legs) AS j;
