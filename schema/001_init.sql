-- 001_init.sql: the first tierline schema.  Times are local ms (util.h)
-- unless a column says otherwise.  Child tables are WITHOUT ROWID and keyed
-- by (run, call, ...), so a run's rows sit together and the primary keys
-- serve the reports without extra indexes (each extra index slows writes).
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

-- visits and keys are packed JSON arrays, times relative to arrival:
--   visits  ["main",0,"case_status",3500,...]   (node, ms, node, ms, ...)
--   keys    ["1",1200,"#",9000,...]              (key, ms, ...)
-- The views visits and call_keys below unpack them into rows.
CREATE TABLE calls (
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
  PRIMARY KEY (run, seq)
) WITHOUT ROWID;

-- counted repeats calls.counted so the queue figures need no join.
CREATE TABLE queue_legs (
  run         INTEGER NOT NULL,
  call        INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  queue       TEXT NOT NULL,
  tier        INTEGER NOT NULL,
  entered     INTEGER NOT NULL,
  answered    INTEGER,                 -- NULL when never answered
  ended       INTEGER NOT NULL,
  agent       INTEGER,                 -- NULL when none
  result      TEXT NOT NULL,
  found_free  INTEGER NOT NULL,
  counted     INTEGER NOT NULL,
  PRIMARY KEY (run, call, seq),
  FOREIGN KEY (run, call) REFERENCES calls(run, seq) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE service_requests (
  run         INTEGER NOT NULL,
  call        INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  type        TEXT,
  office      TEXT,
  created     INTEGER NOT NULL,
  due         INTEGER NOT NULL,
  status      TEXT NOT NULL,
  PRIMARY KEY (run, call, seq),
  FOREIGN KEY (run, call) REFERENCES calls(run, seq) ON DELETE CASCADE
) WITHOUT ROWID;

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

-- Reports by queue scan one run's legs; this index lets them group by
-- queue without a sort and find a queue's legs by time.
CREATE INDEX queue_legs_queue ON queue_legs(run, queue, entered);
CREATE INDEX runs_complete ON runs(complete, id);

CREATE VIEW visits AS
  SELECT c.run AS run, c.seq AS call, j.key / 2 AS seq, j.value AS node,
         c.arrival + json_extract(c.visits, '$[' || (j.key + 1) || ']') AS t
  FROM calls AS c, json_each(c.visits) AS j
  WHERE j.key % 2 = 0;

CREATE VIEW call_keys AS
  SELECT c.run AS run, c.seq AS call, j.key / 2 AS seq, j.value AS key,
         c.arrival + json_extract(c.keys, '$[' || (j.key + 1) || ']') AS t
  FROM calls AS c, json_each(c.keys) AS j
  WHERE j.key % 2 = 0;
