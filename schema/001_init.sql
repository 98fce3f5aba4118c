-- 001_init.sql: the first tierline schema.  Times are local ms (util.h)
-- unless a column says otherwise.  docs/database.md explains the layout.
CREATE TABLE runs (
  id              INTEGER PRIMARY KEY,
  mode            TEXT NOT NULL,
  flow_path       TEXT,
  flow_sha256     TEXT,
  scenario        TEXT,
  seed            INTEGER NOT NULL DEFAULT 0,  -- uint64 bits as int64
  options         TEXT,                        -- JSON text
  started         TEXT NOT NULL,               -- wall clock, UTC
  finished        TEXT,                        -- wall clock, UTC
  sim_start       INTEGER NOT NULL DEFAULT 0,
  sim_end         INTEGER NOT NULL DEFAULT 0,
  interval_ms     INTEGER NOT NULL DEFAULT 1800000,
  sl_threshold_ms INTEGER NOT NULL DEFAULT 20000,
  complete        INTEGER NOT NULL DEFAULT 0,  -- 1 only once finished
  calls           INTEGER NOT NULL DEFAULT 0   -- set at finish
);

-- One row per call, and nothing else per call but its rare service
-- requests: a call's rowid is (run << 32) | seq, so a run's calls are one
-- rowid range (found without an index; every index costs each insert) and
-- the writer appends.  Visits, keys and queue legs are packed JSON arrays,
-- times in ms relative to arrival:
--   visits  ["main",0,"case_status",3500,...]        node, ms, node, ms, ...
--   keys    ["1",1200,"#",9000,...]                   key, ms, ...
--   legs    [["tier1",1,9000,21000,300000,7,"resolved",0],...]
--           queue, tier, entered, answered (null: never), ended,
--           agent (null: none), result, found_free (0/1)
-- The views visits, call_keys and queue_legs below unpack them into rows.
CREATE TABLE calls (
  id          INTEGER PRIMARY KEY,     -- (run << 32) | seq
  run         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
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
  legs        TEXT NOT NULL DEFAULT '[]',
  CHECK (id = (run << 32) | seq AND seq >= 0 AND seq < 4294967296)
);

CREATE TABLE service_requests (
  id          INTEGER PRIMARY KEY,
  call_id     INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  run         INTEGER NOT NULL,
  call        INTEGER NOT NULL,        -- calls.seq
  seq         INTEGER NOT NULL,
  type        TEXT,
  office      TEXT,
  created     INTEGER NOT NULL,
  due         INTEGER NOT NULL,
  status      TEXT NOT NULL
);
-- Serves the foreign key and a run's requests (call_id range).
CREATE INDEX service_requests_call ON service_requests(call_id);

CREATE TABLE intervals (
  run             INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  queue           TEXT NOT NULL,
  start           INTEGER NOT NULL,
  length_ms       INTEGER NOT NULL,
  offered         INTEGER NOT NULL,
  answered        INTEGER NOT NULL,
  abandoned       INTEGER NOT NULL,
  timed_out       INTEGER NOT NULL,
  answered_within INTEGER NOT NULL,
  wait_sum_ms     INTEGER NOT NULL,
  wait_max_ms     INTEGER NOT NULL,
  handle_sum_ms   INTEGER NOT NULL,
  agents          INTEGER NOT NULL,
  staffed_ms      INTEGER NOT NULL,
  busy_ms         INTEGER NOT NULL,
  PRIMARY KEY (run, queue, start)
) WITHOUT ROWID;

CREATE INDEX runs_complete ON runs(complete, id);

-- Unpacked rows.  Filter a run fast with
--   WHERE calls.id BETWEEN (R << 32) AND (R << 32) + 4294967295
-- (the views' run column works too, by a scan of calls).
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
