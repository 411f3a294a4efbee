#!/usr/bin/env python3
"""tests/bench/store_records.py: batches of spool records for
tests/bench_store_apply.sh, one JSON array a line, each record as the daemon
spools it ({"org","pos","at","event"}, see src/store/store.c).

usage: store_records.py BATCHES SIZE LOG_SHARE [FIRST_POS]
       store_records.py --sql <BATCHES.jsonl
       store_records.py --copy DIR <BATCHES.jsonl

The second form turns those lines into the psql script of the SQL the daemon
sends for each batch, one transaction a batch (src/store/write.c):
wfmon_apply_events over the batch as one jsonb array (psql sends it as a
literal where the daemon binds a parameter: the same jsonb input, plus the
lexer's scan of the literal).

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


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def emit_sql():
    for line in sys.stdin:
        line = line.rstrip("\n")
        sys.stdout.write("BEGIN;\nSELECT set_config('wfmon.org', 'bench', true);\n"
                         "SELECT wfmon_apply_events(%s::jsonb, %d);\nCOMMIT;\n" % (sql_literal(line), DATA_CAP))


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
    if sys.argv[1] == "--sql":
        emit_sql()
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
