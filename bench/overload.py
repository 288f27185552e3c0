#!/usr/bin/env python3
# The sampler, the HTTP intake sender and the summary of bench/overload.sh.
#
#   overload.py sample PID DATA_DIR CSV PHASE_FILE SOURCE [URL TOKEN]
#       Once a second until PID exits or SIGTERM: vigil's VmRSS / VmHWM and open descriptors
#       (/proc/PID), the spool directory's size on disk, and the ingest counters: from
#       GET URL/api/v1/ingest/status with TOKEN when given (fresh each second), else from
#       DATA_DIR/run/ingest-status.json (which serve rewrites every 5 s). One CSV row per sample;
#       a progress line every 10 s. PHASE_FILE holds the phase ("load", "drain") of the run.
#
#   overload.py http URL TOKEN STOP_FILE OUT_FILE [BATCH]
#       POSTs NDJSON batches of BATCH (500) events {"seq": n, ...} to /api/v1/events until
#       STOP_FILE exists; a batch answered 503 is sent again (same numbers) after the server's
#       Retry-After (at most 1 s). Writes "acked N refused_batches R" to OUT_FILE: events 0..N-1
#       were acknowledged (202).
#
#   overload.py summary CSV SPOOL_LIMIT_BYTES [MAX_RSS_MB]
#       Memory and spool figures of the run. Exit 1 if the spool was never used and no source
#       was paused or refused (the run did not overload anything), or if VmHWM exceeded
#       MAX_RSS_MB.
import csv, http.client, json, os, signal, ssl, sys, time

FIELDS = ["t_s", "phase", "rss_kb", "hwm_kb", "fds", "spool_disk_bytes", "status_age_s",
          "memory_messages", "spooled_records", "spooled_bytes", "spooled_total",
          "refused_total", "accepted_total", "stored_total", "src_received", "src_paused",
          "src_refused", "http_received", "http_refused"]


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return out


def dir_bytes(path):
    total = 0
    try:
        for e in os.scandir(path):
            try:
                total += e.stat().st_size
            except FileNotFoundError:  # a segment deleted while we look
                pass
    except FileNotFoundError:
        pass
    return total


class Status:
    def __init__(self, data_dir, url, token):
        self.file = os.path.join(data_dir, "run", "ingest-status.json")
        self.conn = None
        if url:
            host = url.split("//", 1)[1]
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.host, self.ctx, self.token = host, ctx, token

    def get(self):
        """(status dict or None, age in seconds)"""
        if hasattr(self, "host"):
            for _ in range(2):
                try:
                    if self.conn is None:
                        self.conn = http.client.HTTPSConnection(self.host, context=self.ctx,
                                                                timeout=5)
                    self.conn.request("GET", "/api/v1/ingest/status",
                                      headers={"Authorization": "Bearer " + self.token})
                    r = self.conn.getresponse()
                    body = r.read()
                    if r.status == 200:
                        return json.loads(body), 0.0
                except (OSError, http.client.HTTPException, ValueError):
                    pass
                self.conn = None
        try:
            age = time.time() - os.stat(self.file).st_mtime
            with open(self.file) as f:
                return json.load(f), age
        except (OSError, ValueError):
            return None, -1


def sample(pid, data_dir, csv_path, phase_file, source, url=None, token=None):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    status = Status(data_dir, url, token)
    spool_dir = os.path.join(data_dir, "spool")
    start = time.monotonic()
    last = {}
    n = 0
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        while not stop:
            p = proc_status(pid)
            if p is None:
                break
            st, age = status.get()
            try:
                with open(phase_file) as pf:
                    phase = pf.read().strip()
            except OSError:
                phase = ""
            row = {"t_s": round(time.monotonic() - start, 1), "phase": phase,
                   "rss_kb": p.get("VmRSS", 0), "hwm_kb": p.get("VmHWM", 0), "fds": p["fds"],
                   "spool_disk_bytes": dir_bytes(spool_dir), "status_age_s": round(age, 1)}
            if st:
                b = st.get("buffer", {})
                for k in ("memory_messages", "spooled_records", "spooled_bytes", "spooled_total",
                          "refused_total"):
                    row[k] = b.get(k, 0)
                row["accepted_total"] = st.get("accepted_total", 0)
                row["stored_total"] = st.get("stored_total", 0)
                for s in st.get("sources", []):
                    if s["name"] == source:
                        row["src_received"] = s["received"]
                        row["src_paused"] = s["paused"]
                        row["src_refused"] = s["refused"]
                    elif s["name"] == "http":
                        row["http_received"] = s["received"]
                        row["http_refused"] = s["refused"]
            w.writerow(row)
            f.flush()
            if n % 10 == 0:
                stored = int(row.get("stored_total") or 0)
                rate = ""
                if last:
                    rate = f" ({(stored - last['stored']) / (row['t_s'] - last['t']) / 1000:.1f}k/s)"
                last = {"stored": stored, "t": row["t_s"]}
                print(f"[{row['t_s']:6.0f} s {phase:5s}] RSS {row['rss_kb'] / 1024:6.0f} MB "
                      f"(peak {row['hwm_kb'] / 1024:.0f}), spool "
                      f"{int(row.get('spooled_bytes') or 0) / 2**20:5.1f} MB waiting "
                      f"({row['spool_disk_bytes'] / 2**20:.0f} MB on disk), "
                      f"memory {int(row.get('memory_messages') or 0):,} msgs, "
                      f"received {int(row.get('src_received') or 0):,}, stored {stored:,}{rate}, "
                      f"paused {int(row.get('src_paused') or 0):,}, "
                      f"HTTP 503'd {int(row.get('http_refused') or 0):,}", flush=True)
            n += 1
            # Sleep to the next whole second of the run (stop promptly on SIGTERM).
            deadline = start + n
            while not stop and time.monotonic() < deadline:
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def http_send(url, token, stop_file, out_file, batch=500):
    host = url.split("//", 1)[1]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = None
    acked = refused = errors = 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    def report():
        with open(out_file + ".tmp", "w") as f:
            f.write(f"acked {acked} refused_batches {refused} errors {errors}\n")
        os.replace(out_file + ".tmp", out_file)

    report()
    while not os.path.exists(stop_file):
        body = "".join(json.dumps({"seq": acked + i, "message": f"overload http event {acked + i}"})
                       + "\n" for i in range(batch)).encode()
        try:
            if conn is None:
                conn = http.client.HTTPSConnection(host, context=ctx, timeout=30)
            conn.request("POST", "/api/v1/events", body=body,
                         headers={"Authorization": "Bearer " + token,
                                  "Content-Type": "application/x-ndjson"})
            r = conn.getresponse()
            r.read()
            if r.status == 202:
                acked += batch
                report()
            elif r.status == 503:
                refused += 1
                report()
                time.sleep(min(1.0, float(r.getheader("Retry-After") or 1)))
            else:
                errors += 1
                report()
                time.sleep(0.5)
        except (OSError, http.client.HTTPException):
            # Not acknowledged: sent again (a 202 lost on the way would show as a duplicate).
            errors += 1
            conn = None
            report()
            time.sleep(0.5)


def summary(csv_path, limit, max_rss_mb=None):
    rows = list(csv.DictReader(open(csv_path)))
    if not rows:
        print("no samples")
        return 1

    def num(r, k):
        v = r.get(k) or "0"
        return float(v)

    load = [r for r in rows if r["phase"] == "load"] or rows
    hwm = max(num(r, "hwm_kb") for r in rows) / 1024
    t0 = num(load[0], "t_s")
    at_1min = next((r for r in load if num(r, "t_s") - t0 >= 60), None)
    end = load[-1]
    rss_1min = num(at_1min, "rss_kb") / 1024 if at_1min else None
    rss_end = num(end, "rss_kb") / 1024
    # RSS trend over the second half of the load phase: least-squares slope, MB per minute.
    half = load[len(load) // 2:]
    slope = 0.0
    if len(half) >= 10:
        xs = [num(r, "t_s") for r in half]
        ys = [num(r, "rss_kb") / 1024 for r in half]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        den = sum((x - mx) ** 2 for x in xs)
        if den:
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 60
    rss_load = [num(r, "rss_kb") / 1024 for r in load]
    spool_max = max(num(r, "spooled_bytes") for r in rows)
    disk_max = max(num(r, "spool_disk_bytes") for r in rows)
    spooled_total = max(num(r, "spooled_total") for r in rows)
    paused = max(num(r, "src_paused") for r in rows)
    refused = max(num(r, "src_refused") for r in rows)
    http_refused = max(num(r, "http_refused") for r in rows)
    # Samples of the load in which back-pressure happened: the TCP pause count or the HTTP
    # refusals grew since the previous sample (with the status file: in 5 s steps).
    pressed = sum(1 for a, b in zip(load, load[1:])
                  if num(b, "src_paused") > num(a, "src_paused") or
                  num(b, "http_refused") > num(a, "http_refused"))
    fds = [num(r, "fds") for r in rows]
    print(f"peak RSS (VmHWM)       {hwm:,.0f} MB")
    print(f"RSS during the load    min {min(rss_load):,.0f} / median "
          f"{sorted(rss_load)[len(rss_load) // 2]:,.0f} / max {max(rss_load):,.0f} MB")
    print(f"RSS at 1 min / at end  "
          f"{'%.0f' % rss_1min if rss_1min is not None else '(run < 1 min)'} / {rss_end:,.0f} MB"
          f"  (trend over the second half of the load: {slope:+.2f} MB/min)")
    print(f"spool waiting, max     {spool_max / 2**20:,.1f} MB of {limit / 2**20:,.0f} MB "
          f"({spool_max / limit * 100 if limit else 0:.0f} %)")
    print(f"back-pressure          in {pressed} of {len(load) - 1} one-second samples of the load "
          f"(TCP pauses or HTTP 503s since the previous one)")
    print(f"spool on disk, max     {disk_max / 2**20:,.1f} MB (segments are deleted once read "
          f"past)")
    print(f"spooled messages       {spooled_total:,.0f}")
    print(f"TCP pauses             {paused:,.0f}   (refused: {refused:,.0f})")
    print(f"HTTP 503 (spool full)  {http_refused:,.0f} events")
    print(f"open descriptors       {min(fds):.0f}..{max(fds):.0f}")
    ok = True
    if spooled_total == 0 and paused == 0 and refused == 0:
        print("FAIL: the spool was never used and nothing was paused: not an overload")
        ok = False
    if max_rss_mb is not None and hwm > max_rss_mb:
        print(f"FAIL: peak RSS {hwm:,.0f} MB over the bound of {max_rss_mb:,.0f} MB")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "sample":
        a = sys.argv[2:]
        sample(int(a[0]), a[1], a[2], a[3], a[4], *(a[5:7] if len(a) >= 7 else []))
    elif sys.argv[1] == "http":
        a = sys.argv[2:]
        http_send(a[0], a[1], a[2], a[3], int(a[4]) if len(a) > 4 else 500)
    elif sys.argv[1] == "summary":
        sys.exit(summary(sys.argv[2], int(sys.argv[3]),
                         float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None))
    else:
        sys.exit("usage: overload.py sample|http|summary ...")
