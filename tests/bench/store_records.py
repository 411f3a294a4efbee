#!/usr/bin/env python3
"""tests/bench/store_records.py: batches of spool records for
tests/bench_store_apply.sh, one JSON array a line, each record as the daemon
spools it ({"org","pos","at","event"}, see src/store/store.c).

usage: store_records.py BATCHES SIZE LOG_SHARE [FIRST_POS]
       store_records.py --bind jsonb|columns CONNINFO TICKS_COMMAND PASSES <BATCHES.jsonl
       store_records.py --copy DIR <BATCHES.jsonl

The second form writes those batches through libpq (ctypes) with bound text
parameters: exactly the statements the daemon sends for its schema, one
transaction a batch (src/store/write.c): wfmon_apply_events over the batch
as one jsonb array up to migration 0015 (jsonb), wfmon_store_events over
typed columns, one array a column as src/store/batch.c builds them, from
0016 (columns, binary arrays). It writes them PASSES times and runs TICKS_COMMAND with the
backend's pid appended before the first pass and after each. (Earlier
versions sent the batch as a literal through psql, which also cost
PostgreSQL's lexer a scan of every batch, which the daemon does not pay.)

The third writes each batch's rows of execution_events, as the write
function would make them, in COPY's text format, one file a batch into DIR
(batch.000, ...), and prints the psql script that copies them, one
transaction a batch: PostgreSQL's floor for those rows, with no JSON to
expand and nothing else to update.

EXECUTIONS executions (100) run at once, each through queued, started, five
steps (started, two progress, completed), a counter and completed, then gives
way to a new one; LOG_SHARE of the records (0.85 for the mixed shape, 1 for
what wfmon-bench publishes) are log lines of a random running execution,
the rest advance a random execution's life. Event times rise by 20 µs a
record from now. Deterministic (fixed seed) but for the times; the benchmark
writes one file a shape and gives it to every schema.
"""
import json
import random
import struct
import sys
import time

EXECUTIONS = 100
STEPS = 5


def life(n):
    """The non-log events of execution number n, in order."""
    ex, wf = "ex-%06d" % n, "wf-%02d" % (n % 20)
    yield {"type": "execution.queued", "execution_id": ex, "workflow_id": wf, "workflow_name": "Workflow " + wf,
           "priority": "NORMAL", "steps": [{"id": "s%d" % k, "name": "Step %d" % k} for k in range(1, STEPS + 1)]}
    yield {"type": "execution.started", "execution_id": ex, "workflow_id": wf, "worker": "worker-%d" % (n % 8)}
    for k in range(1, STEPS + 1):
        step = "s%d" % k
        yield {"type": "step.started", "execution_id": ex, "workflow_id": wf, "step_id": step, "worker": "w"}
        for cur in (40, 80):
            yield {"type": "step.progress", "execution_id": ex, "workflow_id": wf, "step_id": step,
                   "current": cur, "total": 100, "unit": "rows", "message": "copying"}
        yield {"type": "step.completed", "execution_id": ex, "workflow_id": wf, "step_id": step,
               "duration_ms": 1200 + k, "cpu_percent": 12.5, "memory_bytes": 1 << 24}
    yield {"type": "counter", "execution_id": ex, "workflow_id": wf, "name": "rows", "value": 1000 + n}
    yield {"type": "execution.completed", "execution_id": ex, "workflow_id": wf}


DATA_CAP = 65536


COLUMNS = (("pos", 20), ("at", 20), ("id", 25), ("execution_id", 25), ("workflow_id", 25), ("type", 25),
           ("step_id", 25), ("ts", 25), ("in_size", 20), ("out_size", 20), ("body", 25))
ARRAY_OF = {20: 1016, 25: 1009}   # bigint -> bigint[], text -> text[]


def binary_array(values, elem):
    """A one-dimensional array in PostgreSQL's binary format (None is NULL)."""
    out = [struct.pack("!iiIii", 1, int(any(v is None for v in values)), elem, len(values), 1)]
    for v in values:
        if v is None:
            out.append(struct.pack("!i", -1))
        elif elem == 20:
            out.append(struct.pack("!iq", 8, v))
        else:
            b = v.encode()
            out.append(struct.pack("!i", len(b)) + b)
    return b"".join(out)


def column_values(recs):
    """The batch as the typed columns src/store/batch.c sends: (bytes, array type oid) each."""
    out = []
    for key, elem in COLUMNS:
        if key in ("pos", "at", "in_size", "out_size"):
            vals = [r.get(key) for r in recs]
        elif key == "body":
            vals = [json.dumps(r["event"], separators=(",", ":")) for r in recs]
        else:
            vals = [r["event"].get(key) for r in recs]
        out.append((binary_array(vals, elem), ARRAY_OF[elem]))
    return out


def run_bound(form, conninfo, ticks, passes):
    """Writes every batch of stdin through libpq with bound text parameters,
    as the daemon does (src/store/write.c), passes times; runs the command
    ticks (with the backend's pid appended) before the first pass and after
    each."""
    import ctypes
    import ctypes.util
    import subprocess
    pq = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
    pq.PQconnectdb.restype = ctypes.c_void_p
    pq.PQexec.restype = ctypes.c_void_p
    pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    pq.PQexecParams.restype = ctypes.c_void_p
    pq.PQexecParams.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p,
                                ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    pq.PQresultStatus.argtypes = [ctypes.c_void_p]
    pq.PQgetvalue.restype = ctypes.c_char_p
    pq.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    pq.PQclear.argtypes = [ctypes.c_void_p]
    pq.PQerrorMessage.restype = ctypes.c_char_p
    pq.PQerrorMessage.argtypes = [ctypes.c_void_p]
    pq.PQfinish.argtypes = [ctypes.c_void_p]
    conn = pq.PQconnectdb(conninfo.encode())
    ok = (1, 2)   # PGRES_COMMAND_OK, PGRES_TUPLES_OK

    def execute(sql, params=None):
        """params: (bytes, type oid or 0, binary?) each."""
        if params is None:
            r = pq.PQexec(conn, sql.encode())
        else:
            n = len(params)
            values = (ctypes.c_char_p * n)(*[p[0] for p in params])
            lengths = (ctypes.c_int * n)(*[len(p[0]) for p in params])
            types = (ctypes.c_uint * n)(*[p[1] for p in params])
            formats = (ctypes.c_int * n)(*[int(p[2]) for p in params])
            r = pq.PQexecParams(conn, sql.encode(), n, types, values, lengths, formats, 0)
        status = pq.PQresultStatus(r)
        if status not in ok:
            sys.exit("store_records: %s" % pq.PQerrorMessage(conn).decode())
        v = pq.PQgetvalue(r, 0, 0) if status == 2 else None
        pq.PQclear(r)
        return v

    pid = execute("SELECT pg_backend_pid()").decode()
    batches = [json.loads(line) for line in sys.stdin]
    cap = (str(DATA_CAP).encode(), 0, False)
    if form == "columns":
        # As src/store/write.c sends it: one statement, its own transaction.
        call = "WITH o AS MATERIALIZED (SELECT set_config('wfmon.org', 'bench', true)) " + \
            "SELECT wfmon_store_events(" + ", ".join("$%d" % (i + 1) for i in range(len(COLUMNS))) + \
            ", $%d::integer) FROM o" % (len(COLUMNS) + 1)
        params = [[(v, t, True) for v, t in column_values(b)] + [cap] for b in batches]
    else:
        call = "SELECT wfmon_apply_events($1::jsonb, $2::integer)"
        params = [[(json.dumps(b, separators=(",", ":")).encode(), 0, False), cap] for b in batches]
    subprocess.run(ticks + " " + pid, shell=True, check=True)
    for _ in range(passes):
        for p in params:
            if form == "columns":
                execute(call, p)
                continue
            execute("BEGIN; SELECT set_config('wfmon.org', 'bench', true)")
            execute(call, p)
            execute("COMMIT")
        subprocess.run(ticks + " " + pid, shell=True, check=True)
    pq.PQfinish(conn)


def copy_text(value):
    """A value in COPY's text format (None is \\N)."""
    if value is None:
        return "\\N"
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def emit_copy(folder):
    for b, line in enumerate(sys.stdin):
        name = "%s/batch.%03d" % (folder, b)
        with open(name, "w") as out:
            for rec in json.loads(line):
                e = rec["event"]
                at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(rec["at"] // 1000)) + \
                    ".%03dZ" % (rec["at"] % 1000)
                cols = [rec["org"], str(rec["pos"]), e["id"], e["execution_id"], e["workflow_id"], e["type"],
                        e.get("step_id"), e["ts"], at, json.dumps(e, separators=(",", ":"))]
                out.write("\t".join(copy_text(c) for c in cols) + "\n")
        sys.stdout.write("\\copy execution_events (org_id, pos, event_id, execution_id, workflow_id, kind, "
                         "step_id, ts, received_at, body) FROM '%s'\n" % name)


def main():
    if sys.argv[1] == "--bind":
        run_bound(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    if sys.argv[1] == "--copy":
        emit_copy(sys.argv[2])
        return
    batches, size, log_share = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    pos = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rnd = random.Random(16)
    t0 = int(time.time() * 1000)
    slots = [(n, life(n), "ex-%06d" % n, "wf-%02d" % (n % 20)) for n in range(EXECUTIONS)]
    next_n = EXECUTIONS
    for _ in range(batches):
        recs = []
        for _ in range(size):
            us = (pos - 1) * 20
            t_us = t0 * 1000 + us
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_us // 1000000)) + ".%06dZ" % (t_us % 1000000)
            i = rnd.randrange(EXECUTIONS)
            n, it, ex, wf = slots[i]
            e = None
            if rnd.random() >= log_share:
                e = next(it, None)
                if e is None:
                    n, next_n = next_n, next_n + 1
                    slots[i] = (n, life(n), "ex-%06d" % n, "wf-%02d" % (n % 20))
                    n, it, ex, wf = slots[i]
                    e = next(it)
            if e is None:
                e = {"type": "log", "execution_id": ex, "workflow_id": wf, "level": "info",
                     "message": "processed batch %d of invoices for the month-end close" % pos}
            e = dict(e, id="ev-%d" % pos, ts=ts)
            recs.append({"org": "bench", "pos": pos, "at": t0 + us // 1000, "event": e})
            pos += 1
        sys.stdout.write(json.dumps(recs, separators=(",", ":")) + "\n")


main()
