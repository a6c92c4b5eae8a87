#!/usr/bin/env python3
"""The ingest benchmark of issue #3: pmc-gateway against a C limit and a Python ingester, on one broker, same messages.

Run it through `scripts/bench` (which builds what it needs); see Benchmarks/README.md for the method.
"""
import argparse
import datetime as dt
import json
import os
import platform
import shlex
import signal
import socket
import sqlite3
import subprocess
import threading
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "Benchmarks")
BUILD = os.path.join(BENCH, ".build")
BIN = os.path.join(BUILD, "bin")
GATEWAY = os.path.join(ROOT, ".build", "release", "pmc-gateway")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PROBE_DEVICES = 10

SUBSCRIBERS = {
    "c-count": "(1) C libmosquitto, count only",
    "c-sqlite": "(2) C libmosquitto + SQLite writer thread",
    "gateway": "(3) pmc-gateway end to end",
    "python": "(4) Python paho-mqtt + sqlite3",
}

# ---------------------------------------------------------------------------------------------------- processes

_started = []  # every process this harness started, to end them (by pid) whatever happens


def start(argv, log_path, **kwargs):
    log = open(log_path, "ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, **kwargs)
    log.close()
    _started.append(proc)
    # scripts/bench's trap ends these too if this harness itself is killed.
    if os.environ.get("BENCH_PIDS_FILE"):
        with open(os.environ["BENCH_PIDS_FILE"], "a") as f:
            f.write(f"{proc.pid}\n")
    return proc


def stop(proc, grace=30.0):
    """SIGTERM, then SIGKILL after `grace` seconds; only this process, by its pid."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass


def stop_all():
    for proc in reversed(_started):
        try:
            stop(proc, grace=5)
        except Exception:
            pass


def _on_signal(signum, frame):
    stop_all()
    sys.exit(128 + signum)


def proc_stats(pid):
    """CPU seconds (utime + stime, all threads) and peak/current RSS in bytes, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5), after pid and comm
    hwm = rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return {"cpu": cpu, "hwm": hwm, "rss": rss}


def machine_cpu():
    """Busy and total jiffies of the whole machine (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values[:8]) - idle, sum(values[:8])


def thread_cpu(pid):
    """CPU seconds per thread ("name#tid"), from /proc/PID/task."""
    result = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        # Names are not reliable (Swift threads inherit the name of the thread that spawned them): key by id.
        name = f"{text[text.index('(') + 1:text.rindex(')')]}#{tid}"
        fields = text.rsplit(")", 1)[1].split()
        result[name] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return result


def wait_for(predicate, timeout, what, interval=0.05, proc=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with code {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def file_size(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


# ---------------------------------------------------------------------------------------------------- broker

def start_broker(run_dir):
    port = free_port()
    folder = os.path.join(run_dir, "mosquitto")
    os.makedirs(folder, exist_ok=True)
    conf = os.path.join(folder, "mosquitto.conf")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    with open(conf, "w") as f:
        f.write(f"""# deploy/mosquitto.conf, with what the benchmark changes: a free loopback port, no persistence (not needed for
# a bench), and no byte limit on queued messages (a slow subscriber's backlog must never be dropped here).
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 100
user {user}
log_dest file {folder}/mosquitto.log
log_type error
log_type warning
log_type notice
""")
    proc = start(["mosquitto", "-c", conf], os.path.join(folder, "stdout.log"))

    def listening():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_for(listening, 10, "Mosquitto to listen", proc=proc)
    return proc, port


def clear_session(port, client_id, log):
    subprocess.run([os.path.join(BIN, "bench-sub"), "--clear", "--port", str(port), "--client-id", client_id],
                   stdout=log, stderr=log, timeout=30, check=False)


# ---------------------------------------------------------------------------------------------------- gateway

# What a commune configures (examples/alerts.yaml): the rules every pmc-gateway run evaluates, as issue #3 asks
# ("rule evaluation once rules exist"). The benchmark's rooms report CO₂ and temperature.
COMMUNE_RULES = """  - {id: co2-aerer, name: "CO₂ au-dessus de 800 ppm", metric: co2, asset_types: [room], above: 800, for: 10m, clear_below: 700, severity: info}
  - {id: co2-ventilation, name: "CO₂ au-dessus de 1 500 ppm", metric: co2, asset_types: [room], above: 1500, for: 15m, clear_below: 1000, severity: warning}
  - {id: surchauffe, name: "Salle au-dessus de 28 °C", metric: temperature, asset_types: [room], above: 28, for: 30m, clear_below: 26, severity: warning}
"""
COMMUNE_SILENCE = "silence: {missed_reports: 3, severity: warning, fold_into_parent: true}\n"


def write_gateway_config(folder, port, client_id, inventory, rules=True, webhook=None, probe_rule=None):
    """The gateway's configuration: with `rules`, the commune's alert rules; with `webhook`, also a rule on the
    latency probes, its alerts notified to that URL."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "config.yaml")
    alerts = ""
    probe_rule = bool(webhook) if probe_rule is None else probe_rule
    if rules or probe_rule:
        with open(os.path.join(folder, "alerts.yaml"), "w") as f:
            f.write("rules:\n" + (COMMUNE_RULES if rules else ""))
            if probe_rule:
                f.write("  - {id: bench-alarm, name: \"Alarme de la sonde\", metric: bench_alarm, asset_types: [other], "
                        "above: 0.5, for: 0s, severity: info}\n")
            if rules:
                f.write(COMMUNE_SILENCE)
        alerts = "alerts: [alerts.yaml]\n"
    if webhook:
        alerts += f"notifications: {{webhooks: [{{name: bench, url: \"{webhook}\", timeout: 10}}]}}\n"
    with open(path, "w") as f:
        f.write(f"""# pmc-gateway configuration written by Benchmarks/bench.py
commune: {{name: Benchmark, timezone: Europe/Paris, latitude: 45.0456, longitude: 4.8530}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: {client_id}, protocol: "3.1.1", keepalive: 30, reconnect_min: 1, reconnect_max: 5}}
subscriptions:
  - {{name: chirpstack, topic: "application/+/device/+/event/+", format: chirpstack-v4}}
  - {{name: zigbee2mqtt, topic: "zigbee2mqtt/#", format: zigbee2mqtt, options: {{base_topic: zigbee2mqtt}}}}
  - {{name: tasmota-tele, topic: "tele/+/+", format: tasmota}}
  - {{name: shelly, topic: "shellies-gen2/#", format: shelly, options: {{device: "{{1}}"}}}}
  - {{name: probe, topic: "bench/probe/+", format: json, options: {{device: "{{2}}", fields: "seq,alarm"}}}}
storage: {{database: gateway.sqlite, journal: journal, sync_journal: false, rejected_payload_limit: 4096}}
inventory: [{inventory}/inventory.yaml]
profiles: [{ROOT}/devices, {BENCH}/profiles]
{alerts}log_level: info
""")
    return path


def gateway_counters(db_path):
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            return dict(db.execute("SELECT name, value FROM ingest_counters").fetchall())
        finally:
            db.close()
    except sqlite3.Error:
        return {}


def start_gateway(folder, port, client_id, inventory, rules=True, webhook=None, probe_rule=None):
    config = write_gateway_config(folder, port, client_id, inventory, rules, webhook, probe_rule)
    log = os.path.join(folder, "gateway.log")
    started = time.monotonic()
    proc = start([GATEWAY, "run", "--config", config], log, cwd=folder)

    def connected():
        with open(log, errors="replace") as f:
            return "connected to broker" in f.read()

    wait_for(connected, 180, "pmc-gateway to connect", interval=0.1, proc=proc)
    # Subscribed for sure once a message sent now comes back through the whole pipeline: a Zigbee2MQTT bridge state,
    # which the gateway counts as received and ignores.
    db = os.path.join(folder, "gateway.sqlite")
    deadline = time.monotonic() + 30
    while gateway_counters(db).get("messages_received", 0) < 1:
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-t", "zigbee2mqtt/bridge/state",
                        "-m", "online"], check=True, capture_output=True, timeout=10)
        time.sleep(0.5)
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("pmc-gateway did not store the warm-up message; see " + log)
    warmup = gateway_counters(db).get("messages_received", 0)
    return proc, db, warmup, time.monotonic() - started


def packed_entry_count(blob):
    """Entries in one measurement blob: each is a LEB128 varint (series id increase) then an 8-byte double."""
    count, offset, size = 0, 0, len(blob)
    while offset < size:
        while offset < size and blob[offset] & 0x80:
            offset += 1
        offset += 9
        if offset <= size:
            count += 1
    return count


def gateway_db_stats(db_path):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        # `readings` is a view over packed measurements that needs the gateway's SQL function: count the entries of
        # each measurement blob here instead (format: Sources/Storage/Readings/PackedReadings.swift).
        rows = sum(packed_entry_count(blob) for (blob,) in db.execute("SELECT readings FROM measurements"))
        rejected = db.execute("SELECT count(*) FROM rejected_messages").fetchone()[0]
        reasons = db.execute("SELECT reason, count(*) FROM rejected_messages GROUP BY reason ORDER BY 2 DESC LIMIT 3").fetchall()
        counters = dict(db.execute("SELECT name, value FROM ingest_counters").fetchall())
    finally:
        db.close()
    return {"rows": rows, "rejected": rejected, "rejected_reasons": reasons, "counters": counters,
            "db_bytes": file_size(db_path) + file_size(db_path + "-wal")}


# ---------------------------------------------------------------------------------------------------- one run

def run_subscriber(kind, qos, ctx):
    tag = f"{kind}-qos{qos}"
    folder = os.path.join(ctx.run_dir, tag)
    os.makedirs(folder, exist_ok=True)
    client_id = f"bench-{tag}"
    log = os.path.join(folder, "subscriber.log")
    ready = os.path.join(folder, "ready")
    result_path = os.path.join(folder, "result.json")
    expected = ctx.messages
    timeout = ctx.timeout
    print(f"  {SUBSCRIBERS[kind]}, QoS {qos} ...", end="", flush=True)
    startup = None
    warmup = 0
    # At QoS 1 nothing may be lost: wait for every message (up to the timeout). At QoS 0 the broker or a socket
    # may drop some: stop 10 s after the last one.
    idle_ms = 10_000 if qos == 0 else timeout * 1000
    if kind in ("c-count", "c-sqlite"):
        argv = [os.path.join(BIN, "bench-sub"), "--mode", "count" if kind == "c-count" else "sqlite", "--port", str(ctx.port),
                "--client-id", client_id, "--qos", str(qos), "--expected", str(expected), "--ready", ready,
                "--result", result_path, "--timeout-s", str(timeout), "--db", os.path.join(folder, "c.sqlite"),
                "--idle-ms", str(idle_ms)]
        proc = start(argv, log)
        wait_for(lambda: os.path.exists(ready), 30, f"{kind} to subscribe", proc=proc)
    elif kind == "python":
        argv = [ctx.python, os.path.join(BENCH, "python_ingester.py"), "--port", str(ctx.port), "--client-id", client_id,
                "--qos", str(qos), "--expected", str(expected), "--db", os.path.join(folder, "python.sqlite"),
                "--ready", ready, "--result", result_path, "--timeout-s", str(timeout), "--idle-ms", str(idle_ms)]
        proc = start(argv, log)
        wait_for(lambda: os.path.exists(ready), 30, "the Python ingester to subscribe", proc=proc)
    else:
        proc, db_path, warmup, startup = start_gateway(folder, ctx.port, client_id, ctx.inventory, rules=not ctx.no_alerts)
    before = proc_stats(proc.pid)
    threads_before = thread_cpu(proc.pid)
    broker_before, machine_before = proc_stats(ctx.broker_pid)["cpu"], machine_cpu()
    before_ns = time.time_ns()

    pub_result = os.path.join(folder, "publisher.json")
    pub = start([os.path.join(BIN, "bench-pub"), "--port", str(ctx.port), "--file", ctx.message_file, "--qos", str(qos),
                 "--count", str(expected), "--result", pub_result, "--timeout-s", str(timeout)],
                os.path.join(folder, "publisher.log"))

    end_ns = None
    deadline = time.monotonic() + timeout
    if kind == "gateway":
        target = warmup + expected
        last_count, last_change = warmup, time.time_ns()
        poll = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        progress, next_sample = open(os.path.join(folder, "progress.csv"), "w"), 0
        progress.write("seconds_since_publisher_start,messages_stored\n")
        while True:
            row = poll.execute("SELECT value FROM ingest_counters WHERE name = 'messages_received'").fetchone()
            count = row[0] if row else 0
            now = time.time_ns()
            if now >= next_sample:
                progress.write(f"{(now - before_ns) / 1e9:.1f},{count - warmup}\n")
                progress.flush()
                next_sample = now + 1_000_000_000
            if count != last_count:
                last_count, last_change = count, now
            if count >= target:
                end_ns = now
                break
            if qos == 0 and pub.poll() is not None and now - last_change > idle_ms * 1e6:  # lost ones will not come
                end_ns = last_change
                break
            if proc.poll() is not None:
                raise RuntimeError(f"pmc-gateway exited with code {proc.returncode}; see {log}")
            if time.monotonic() > deadline:
                print(f" timed out after {timeout} s:", end="")
                end_ns = last_change
                break
            time.sleep(0.025)
        after = proc_stats(proc.pid)
        poll.close()
        progress.close()
        stats = gateway_db_stats(db_path)
        received = stats["counters"].get("messages_received", 0) - warmup
        sub = {"received": received, "stored": received, "rows": stats["rows"], "last_stored_ns": end_ns,
               "db_bytes": stats["db_bytes"], "startup_s": round(startup, 1),
               "outcomes": {k[len("outcome_"):]: v for k, v in stats["counters"].items() if k.startswith("outcome_")},
               "rejected": stats["rejected"], "rejected_reasons": stats["rejected_reasons"],
               "journal_bytes": sum(file_size(os.path.join(folder, "journal", f)) for f in os.listdir(os.path.join(folder, "journal")))}
    else:
        sub = wait_for(lambda: read_json(result_path), timeout, f"{kind} to finish", interval=0.05, proc=proc)
        after = proc_stats(proc.pid)
    broker_after, machine_after = proc_stats(ctx.broker_pid)["cpu"], machine_cpu()
    threads = {name: round(cpu - threads_before.get(name, 0), 2) for name, cpu in thread_cpu(proc.pid).items()}
    stop(proc)
    try:
        pub.wait(timeout=max(10, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        stop(pub)
    published = read_json(pub_result) or {}
    with open(os.path.join(folder, "clear.log"), "ab") as clear_log:
        clear_session(ctx.port, client_id, clear_log)

    start_ns = published.get("first_publish_ns") or sub.get("first_message_ns")
    elapsed = (sub["last_stored_ns"] - start_ns) / 1e9
    cpu = after["cpu"] - before["cpu"]
    # CPU used on the machine during the run by anything but the subscriber, the broker and the publisher: other
    # work on the machine distorts the figures when this is not close to 0.
    busy = (machine_after[0] - machine_before[0]) / CLK_TCK
    window = (machine_after[1] - machine_before[1]) / CLK_TCK / (os.cpu_count() or 1)
    ours = cpu + (broker_after - broker_before) + (published.get("cpu_s") or 0)
    result = {
        "kind": kind, "qos": qos, "expected": expected, "received": sub["received"], "stored": sub["stored"],
        "rows": sub.get("rows"), "seconds": round(elapsed, 3), "rate": sub["stored"] / elapsed if elapsed > 0 else 0,
        "cpu_s": round(cpu, 2), "cpu_per_million": cpu / max(1, sub["stored"]) * 1e6, "peak_rss": after["hwm"],
        "db_bytes": sub.get("db_bytes"), "publisher_rate": published.get("rate"), "published": published.get("published"),
        "broker_cpu_s": round(broker_after - broker_before, 2), "publisher_cpu_s": published.get("cpu_s"),
        "other_cpu_cores": round(max(0.0, busy - ours) / window, 2) if window > 0 else None,
        "threads": {name: cpu for name, cpu in sorted(threads.items(), key=lambda item: -item[1]) if cpu > 0},
    }
    for key in ("startup_s", "outcomes", "rejected", "rejected_reasons", "journal_bytes"):
        if key in sub:
            result[key] = sub[key]
    print(f" {result['rate']:,.0f} msg/s, {result['cpu_per_million']:.1f} CPU-s/M, "
          f"{result['peak_rss'] / 2**20:.0f} MB, {result['stored']:,} of {expected:,}")
    return result


class WebhookReceiver:
    """An HTTP server on loopback that records when each alert opening POSTed by the gateway arrives (wall clock, ns),
    with the alert's value: the seq of the probe that raised it."""

    def __init__(self):
        import http.server
        import threading
        arrivals = self.arrivals = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = time.time_ns()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if body.get("event") == "opened" and body.get("rule") == "bench-alarm" and body.get("value"):
                    arrivals[int(body["value"])] = arrived
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


class WALSampler:
    """The peak size of the gateway's write-ahead log, sampled every 100 ms in a thread: a log that never starts over
    grows by every page each commit writes."""

    def __init__(self, path):
        self.path, self.peak, self.done = path, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.wait(0.1):
            try:
                self.peak = max(self.peak, os.path.getsize(self.path))
            except OSError:
                pass

    def close(self):
        self.done.set()
        self.thread.join()


def remove_databases(run_dir):
    """Deletes what a run stored (databases, journals, broker persistence: gigabytes per run), keeping its logs."""
    for folder, dirs, files in os.walk(run_dir):
        for name in files:
            if ".sqlite" in name or name.endswith(".db") or folder.endswith("journal") or ".seg" in name:
                try:
                    os.remove(os.path.join(folder, name))
                except OSError:
                    pass


def run_latency(ctx):
    folder = os.path.join(ctx.run_dir, "latency")
    os.makedirs(folder, exist_ok=True)
    rate, seconds, every, warm = ctx.latency_rate, ctx.latency_seconds, ctx.probe_every, ctx.latency_warmup
    slots = rate * (warm + seconds)
    probes = rate * seconds // every
    print(f"  pmc-gateway latency, QoS 1, {rate:,} msg/s, {warm} s warm-up then {seconds} s with {probes:,} probes ...",
          end="", flush=True)
    receiver = None if ctx.no_alerts or ctx.no_webhook else WebhookReceiver()
    # The probe rule only: the file's simulated clock runs 600 times faster than the wall clock here (10 minutes per
    # round of 5,000 messages, a round per second), so the commune's 10-minute rules would fire dozens of times a
    # second — a load no commune sees — and their notifications would crowd the ones timed.
    proc, db_path, warmup, startup = start_gateway(folder, ctx.port, "bench-gateway-latency", ctx.inventory,
                                                   rules=False, webhook=receiver.url if receiver else None,
                                                   probe_rule=not ctx.no_alerts)
    seen, observer_result = os.path.join(folder, "seen.txt"), os.path.join(folder, "observer.json")
    observer = start([os.path.join(BIN, "bench-latency"), "--db", db_path, "--expected", str(probes), "--devices",
                      str(PROBE_DEVICES), "--result", observer_result, "--seen", seen, "--timeout-s", str(warm + seconds + 60)],
                     os.path.join(folder, "observer.log"))
    before, before_t, machine_before = proc_stats(proc.pid), time.monotonic(), machine_cpu()
    wal = WALSampler(db_path + "-wal")
    sent = os.path.join(folder, "sent.txt")
    pub_result = os.path.join(folder, "publisher.json")
    pub = start([os.path.join(BIN, "bench-pub"), "--port", str(ctx.port), "--file", ctx.message_file, "--qos", "1",
                 "--count", str(slots), "--rate", str(rate), "--probe-every", str(every), "--probe-after", str(rate * warm),
                 "--probe-devices", str(PROBE_DEVICES),
                 "--probe-log", sent, "--result", pub_result, "--timeout-s", str(seconds + 120)],
                os.path.join(folder, "publisher.log"))
    pub.wait(timeout=warm + seconds + 150)
    after, after_t, machine_after = proc_stats(proc.pid), time.monotonic(), machine_cpu()  # while publishing at the rate
    observer.wait(timeout=70)
    wal.close()
    # Every alert-raising probe (alarm = seq) notified: wait for the last ones still in flight.
    alarms = [seq for seq in range(probes) if seq % PROBE_DEVICES == 0 and (seq // PROBE_DEVICES) % 10 == 1]
    wait_deadline = time.monotonic() + 30
    while receiver and len(receiver.arrivals) < len(alarms) and time.monotonic() < wait_deadline:
        time.sleep(0.1)
    arrivals = receiver.arrivals if receiver else {}
    if receiver:
        receiver.close()
    stats = gateway_db_stats(db_path)
    proc_peak = proc_stats(proc.pid)["hwm"]
    stop(proc)
    with open(os.path.join(folder, "clear.log"), "ab") as clear_log:
        clear_session(ctx.port, "bench-gateway-latency", clear_log)
    published = read_json(pub_result) or {}
    observed = read_json(observer_result) or {}

    from hdrh.histogram import HdrHistogram
    histogram = HdrHistogram(1, 3_600_000_000, 3)  # microseconds, 1 µs .. 1 h, 3 significant digits
    sent_ns = {}
    with open(sent) as f:
        for line in f:
            seq, ns = line.split()
            sent_ns[int(seq)] = int(ns)
    count = 0
    with open(seen) as f:
        for line in f:
            seq, ns = line.split()
            latency_us = max(1, (int(ns) - sent_ns[int(seq)]) // 1000)
            histogram.record_value(latency_us)
            count += 1
    notified = HdrHistogram(1, 3_600_000_000, 3)
    for seq, arrived in arrivals.items():
        if seq in sent_ns:
            notified.record_value(max(1, (arrived - sent_ns[seq]) // 1000))
    result = {} if not receiver else {
        "notifications_expected": len(alarms), "notifications_received": len(arrivals),
        "notify_p50_ms": notified.get_value_at_percentile(50) / 1000, "notify_p99_ms": notified.get_value_at_percentile(99) / 1000,
        "notify_p999_ms": notified.get_value_at_percentile(99.9) / 1000, "notify_max_ms": notified.get_max_value() / 1000}
    result |= {
        "rate_target": rate, "seconds": seconds, "warmup_seconds": warm, "probes": probes, "seen": count, "missing": probes - count,
        "achieved_rate": published.get("rate"),
        "p50_ms": histogram.get_value_at_percentile(50) / 1000, "p99_ms": histogram.get_value_at_percentile(99) / 1000,
        "p999_ms": histogram.get_value_at_percentile(99.9) / 1000, "max_ms": histogram.get_max_value() / 1000,
        "mean_poll_us": observed.get("mean_poll_us"),
        "gateway_cpu_percent": 100 * (after["cpu"] - before["cpu"]) / (after_t - before_t),
        "machine_busy_cores": round((machine_after[0] - machine_before[0]) / CLK_TCK / (after_t - before_t), 2),
        "peak_rss": proc_peak, "rejected": stats["rejected"], "startup_s": round(startup, 1), "peak_wal": wal.peak,
    }
    notified_text = (f"; notified p50 {result['notify_p50_ms']:.1f} ms, p99 {result['notify_p99_ms']:.1f} ms "
                     f"({result['notifications_received']:,} of {result['notifications_expected']:,})") if receiver else ""
    print(f" p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, p99.9 {result['p999_ms']:.1f} ms{notified_text}; "
          f"CPU {result['gateway_cpu_percent']:.0f} % of a core, peak WAL {mb(wal.peak)} MB")
    return result


# ---------------------------------------------------------------------------------------------------- report

def machine():
    def cmd(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:
            return "?"
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    import paho.mqtt
    # The commit of the tree the gateway binary was built in (`--gateway` may point at another checkout).
    tree = os.path.dirname(os.path.dirname(os.path.dirname(GATEWAY)))
    commit = cmd(["git", "-C", tree, "rev-parse", "--short", "HEAD"]) or os.path.relpath(GATEWAY, ROOT)
    dirty = cmd(["git", "-C", tree, "status", "--porcelain", "--", "Sources", "Package.swift"])
    return {
        "cpu": model, "nproc": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(), "mosquitto": cmd(["mosquitto", "-h"]).splitlines()[0].replace("mosquitto version ", ""),
        "sqlite": sqlite3.sqlite_version, "python": platform.python_version(), "paho": paho.mqtt.__version__,
        "swift": cmd(["swift", "--version"]).splitlines()[0] if cmd(["swift", "--version"]) else "?",
        "commit": commit + (" (with uncommitted changes in Sources/)" if dirty else ""),
    }


def fmt_rate(v):
    return f"{v:,.0f}"


def mb(v):
    return f"{v / 2**20:,.0f}"


def report(ctx, results, latency, info, summary, started):
    lines = []
    add = lines.append
    add("# pmc-gateway ingest benchmark")
    add("")
    add(f"- Date: {started:%Y-%m-%d %H:%M} UTC; whole run {ctx.total_seconds / 60:.1f} min")
    add(f"- Machine: {info['cpu']}, {info['nproc']} cores, {info['memory_gib']} GiB; Linux {info['kernel']}")
    add(f"- Software: Mosquitto {info['mosquitto']}, SQLite {info['sqlite']}, Python {info['python']} + paho-mqtt {info['paho']}, "
        f"{info['swift']}; pmc-gateway {info['commit']} (release build: {GATEWAY if GATEWAY != os.path.join(ROOT, '.build', 'release', 'pmc-gateway') else '.build/release/pmc-gateway'})")
    add(f"- Command: `{ctx.command}`")
    formats = ", ".join(f"{name} {s['messages']:,} ({s['mean_bytes']} B mean)" for name, s in summary["formats"].items())
    add(f"- Messages: {ctx.messages:,} from {summary['devices']:,} devices, generated once (seed {summary['seed']}): {formats}")
    add("- Every subscriber runs alone against the same broker, with a persistent session, while `bench-pub` replays the "
        "file at full speed. msg/s = messages stored (counted for (1)) ÷ time from the first publish to the last commit. "
        "CPU = utime + stime of the subscriber process (all threads) over that window, per million messages. "
        "Peak RSS = VmHWM. Rows = rows in `readings` (the C and Python subscribers store one value per message, "
        "pmc-gateway every mapped metric). Other load = CPU used on the machine during the run by processes other than "
        "the subscriber, the broker and the publisher, in cores (about 0 when nothing else ran).")
    add("")
    for qos in ctx.qos_levels:
        rows = [r for r in results if r["qos"] == qos]
        if not rows:
            continue
        add(f"## Throughput at QoS {qos}" + (" (production setting)" if qos == 1 else " (headroom)"))
        add("")
        add("| subscriber | stored / sent | msg/s | CPU-s per 1M msgs | peak RSS (MB) | rows | rows/msg | bytes on disk / row | publisher msg/s | broker CPU-s | other load (cores) |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            rows_text = f"{r['rows']:,}" if r.get("rows", -1) and r.get("rows", -1) > 0 else "–"
            per_msg = f"{r['rows'] / r['stored']:.2f}" if r.get("rows", -1) and r["rows"] > 0 and r["stored"] else "–"
            per_row = f"{r['db_bytes'] / r['rows']:.1f}" if r.get("db_bytes") and r.get("rows", -1) > 0 else "–"
            add(f"| {SUBSCRIBERS[r['kind']]} | {r['stored']:,} / {r['published'] or 0:,} | {fmt_rate(r['rate'])} | "
                f"{r['cpu_per_million']:.1f} | {mb(r['peak_rss'])} | {rows_text} | {per_msg} | {per_row} | "
                f"{fmt_rate(r['publisher_rate'] or 0)} | {r['broker_cpu_s']:.1f} | {r['other_cpu_cores']} |")
        by_kind = {r["kind"]: r for r in rows}
        gw, c2, py = by_kind.get("gateway"), by_kind.get("c-sqlite"), by_kind.get("python")
        if gw:
            add("")
            add("| target (ratio from this run) | value | target | met |")
            add("|---|---:|---:|:---:|")
            if c2:
                ratio = gw["rate"] / c2["rate"]
                add(f"| pmc-gateway throughput ÷ (2) | {ratio:.2f}× | ≥ 0.8× | {'yes' if ratio >= 0.8 else '**no**'} |")
                ratio = gw["cpu_per_million"] / c2["cpu_per_million"]
                add(f"| pmc-gateway CPU per message ÷ (2) | {ratio:.2f}× | ≤ 1.5× | {'yes' if ratio <= 1.5 else '**no**'} |")
            if py:
                ratio = gw["cpu_per_million"] / py["cpu_per_million"]
                add(f"| pmc-gateway CPU per message ÷ (4) | {ratio:.2f}× | ≤ 0.5× | {'yes' if ratio <= 0.5 else '**no**'} |")
            peak = gw["peak_rss"] / 2**20
            add(f"| pmc-gateway peak RSS | {peak:.0f} MB | < 150 MB | {'yes' if peak < 150 else '**no**'} |")
            add("")
            outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(gw.get("outcomes", {}).items()))
            add(f"pmc-gateway: start-up (inventory of {summary['devices'] + PROBE_DEVICES:,} devices) {gw.get('startup_s')} s; "
                f"outcomes {outcomes}; rejected {gw.get('rejected', 0):,}; database + WAL {mb(gw['db_bytes'])} MB "
                f"({gw['db_bytes'] / max(1, gw['rows']):.1f} B per reading), journal left {mb(gw.get('journal_bytes', 0))} MB.")
            total = sum(gw.get("threads", {}).values()) or 1
            split = ", ".join(f"`{name}` {cpu:.1f} s ({100 * cpu / total:.0f} %)" for name, cpu in list(gw.get("threads", {}).items())[:4])
            add(f"pmc-gateway CPU by thread (the busiest; name#tid): {split}.")
            for reason, n in gw.get("rejected_reasons", []):
                add(f"- rejected ×{n:,}: {reason[:200]}")
        add("")
    if latency:
        add(f"## Latency publish → stored, pmc-gateway, QoS 1, steady {latency['rate_target']:,} msg/s for {latency['seconds']} s")
        add("")
        add(f"After {latency['warmup_seconds']} s at that rate without probes (every device and series seen once), every "
            f"{ctx.probe_every}th message is a probe " + '`{"seq":S,"sent_ns":T,"alarm":A}`' + " on `bench/probe/bench-probe-NN` (a `json` "
            "subscription mapping `seq` to one reading); the others are the realistic messages of the same file. "
            "`bench-pub` records the wall-clock send time of each probe; `bench-latency` opens a read transaction on the "
            "gateway's database every millisecond and records when each probe's row first becomes visible (committed). "
            "Histogram: HdrHistogram (Python `hdrhistogram`), µs resolution; observer poll period "
            f"{latency['mean_poll_us']} µs on average. Gateway CPU is measured while publishing at the steady rate.")
        add("")
        add("| probes seen / sent | p50 | p99 | p99.9 | max | achieved msg/s | gateway CPU | machine busy | peak RSS | peak WAL | target p99 < 50 ms |")
        add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
        add(f"| {latency['seen']:,} / {latency['probes']:,} | {latency['p50_ms']:.1f} ms | {latency['p99_ms']:.1f} ms | "
            f"{latency['p999_ms']:.1f} ms | {latency['max_ms']:.1f} ms | {fmt_rate(latency['achieved_rate'] or 0)} | "
            f"{latency['gateway_cpu_percent']:.0f} % of a core | {latency['machine_busy_cores']} cores | {mb(latency['peak_rss'])} MB | "
            f"{mb(latency.get('peak_wal', 0))} MB | "
            f"{'yes' if latency['p99_ms'] < 50 and latency['missing'] == 0 else '**no**'} |")
        add("")
        if "notify_p99_ms" in latency:
            add("### Latency publish → alert notification (issue #4), same run")
            add("")
            add("Each probe also carries `alarm`: its seq on one probe in ten of the first probe device (5 a second), 0 on the others. A threshold rule "
                "(`bench_alarm above 0.5`, no duration) opens an alert on each non-zero value and resolves it on the next "
                "zero; the gateway POSTs each opening to a webhook served by the benchmark on loopback, which records the "
                "arrival time (wall clock) against the probe's send time (the alert's value is the probe's seq).")
            add("")
            add("| notifications received / expected | p50 | p99 | p99.9 | max | target p99 < 100 ms |")
            add("|---:|---:|---:|---:|---:|:---:|")
            ok = latency['notify_p99_ms'] < 100 and latency['notifications_received'] == latency['notifications_expected']
            add(f"| {latency['notifications_received']:,} / {latency['notifications_expected']:,} | {latency['notify_p50_ms']:.1f} ms | "
                f"{latency['notify_p99_ms']:.1f} ms | {latency['notify_p999_ms']:.1f} ms | {latency['notify_max_ms']:.1f} ms | "
                f"{'yes' if ok else '**no**'} |")
            add("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------- main

def main():
    global GATEWAY
    parser = argparse.ArgumentParser(description="pmc-gateway ingest benchmark (issue #3)")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 messages and a 20 s latency run, for development")
    parser.add_argument("--qos", default="1,0", help="QoS levels to run, in order (default 1,0)")
    parser.add_argument("--subscribers", default=",".join(SUBSCRIBERS), help="subset of " + ",".join(SUBSCRIBERS))
    parser.add_argument("--latency-seconds", type=int, default=60)
    parser.add_argument("--latency-warmup", type=int, default=10, help="seconds at the steady rate before the first probe")
    parser.add_argument("--latency-rate", type=int, default=5000)
    parser.add_argument("--probe-every", type=int, default=5)
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-alerts", action="store_true", help="pmc-gateway without alert rules and webhook (to measure their cost)")
    parser.add_argument("--no-webhook", action="store_true", help="latency run with the probe rule but no webhook (alerts stored, not sent)")
    parser.add_argument("--latency-only", action="store_true", help="only the latency run (with the messages of --messages)")
    parser.add_argument("--gateway", default=GATEWAY, help="the pmc-gateway binary (default: this tree's release build)")
    parser.add_argument("--output", default=os.path.join(BENCH, "results", "latest.md"))
    parser.add_argument("--command", default="scripts/bench", help=argparse.SUPPRESS)
    args = parser.parse_args()
    GATEWAY = os.path.abspath(args.gateway)
    if args.quick:
        args.messages = 100_000
        args.latency_seconds = min(args.latency_seconds, 20)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.monotonic()

    class Ctx:
        pass
    ctx = Ctx()
    ctx.messages = args.messages
    ctx.qos_levels = [int(q) for q in args.qos.split(",")]
    ctx.latency_rate, ctx.latency_seconds, ctx.probe_every = args.latency_rate, args.latency_seconds, args.probe_every
    ctx.no_alerts = args.no_alerts
    ctx.no_webhook = args.no_webhook
    ctx.latency_warmup = args.latency_warmup
    ctx.python = sys.executable
    ctx.command = args.command
    ctx.timeout = int(120 + args.messages / 2_000)  # bound on one subscriber's run: 620 s for 1M messages
    ctx.run_dir = os.path.join(BUILD, "runs", started.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}")
    os.makedirs(ctx.run_dir, exist_ok=True)

    # The message set: generated once per size (deterministic), reused by every subscriber and every run.
    ctx.message_file = os.path.join(BUILD, f"messages-{args.messages}.bin")
    ctx.inventory = os.path.join(BUILD, "inventory")
    summary = read_json(ctx.message_file + ".json")
    sys.path.insert(0, BENCH)
    import generate
    if not summary or summary.get("version") != generate.FORMAT_VERSION or not os.path.exists(ctx.message_file) \
            or not os.path.exists(os.path.join(ctx.inventory, "devices.csv")):
        print(f"Generating {args.messages:,} messages into {os.path.relpath(ctx.message_file, ROOT)} ...", flush=True)
        subprocess.run([sys.executable, os.path.join(BENCH, "generate.py"), "--messages", str(args.messages),
                        "--out", ctx.message_file, "--inventory", ctx.inventory, "--probes", str(PROBE_DEVICES)], check=True)
        summary = read_json(ctx.message_file + ".json")
    with open(os.path.join(ctx.inventory, "inventory.yaml"), "w") as f:
        f.write("# The benchmark's 5,000 devices, each bound to its own asset, plus the latency probes.\n"
                "import:\n  - {file: assets.csv, kind: assets}\n  - {file: devices.csv, kind: devices}\n")

    check = subprocess.run([GATEWAY, "check", "--config", write_gateway_config(os.path.join(ctx.run_dir, "check"), 1883, "check", ctx.inventory)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        sys.exit("pmc-gateway check failed on the benchmark configuration:\n" + check.stdout + check.stderr)

    results, latency = [], None
    try:
        broker, ctx.port = start_broker(ctx.run_dir)
        ctx.broker_pid = broker.pid
        print(f"Mosquitto on 127.0.0.1:{ctx.port}; runs in {os.path.relpath(ctx.run_dir, ROOT)}", flush=True)
        kinds = [k for k in SUBSCRIBERS if k in args.subscribers.split(",")]
        for qos in [] if args.latency_only else ctx.qos_levels:
            print(f"QoS {qos}: {args.messages:,} messages", flush=True)
            for kind in kinds:
                results.append(run_subscriber(kind, qos, ctx))
        if args.latency_only or (not args.no_latency and "gateway" in kinds):
            print("Latency", flush=True)
            latency = run_latency(ctx)
        stop(broker)
    finally:
        stop_all()
        remove_databases(ctx.run_dir)
    ctx.total_seconds = time.monotonic() - t0
    text = report(ctx, results, latency, machine(), summary, started)
    print()
    print(text)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        f.write(text + "\n")
    with open(os.path.splitext(args.output)[0] + ".json", "w") as f:
        json.dump({"date": started.isoformat(), "command": ctx.command, "messages": ctx.messages, "message_set": summary,
                   "results": results, "latency": latency}, f, indent=1, default=str)
    print(f"\nWritten to {os.path.relpath(args.output, ROOT)} (and .json); logs in {os.path.relpath(ctx.run_dir, ROOT)}")


if __name__ == "__main__":
    main()
