#!/usr/bin/env python3
"""What a user would write instead of pmc-gateway: paho-mqtt + sqlite3, json.loads, one insert per message, commit
every 1,000 rows (WAL, synchronous=NORMAL, the same `readings` table shape as the gateway and bench-sub).

    python_ingester.py --port P --client-id ID --qos Q --expected N --db PATH --ready FILE --result FILE

Persistent session (clean_session=False) at QoS Q. Stops after N messages or after --idle-ms without one, writes the
result JSON, then waits to be killed so that the harness can read its /proc counters.
"""
import argparse
import json
import os
import sqlite3
import time

import paho.mqtt.client as mqtt

TOPICS = ["application/+/device/+/event/+", "zigbee2mqtt/#", "tele/+/+", "shellies-gen2/#", "bench/probe/+"]


def value_of(topic, data):
    """One value per message, the same one bench-sub picks."""
    if topic.startswith("application/"):
        return data["rxInfo"][0]["rssi"]
    if topic.startswith("zigbee2mqtt/"):
        return data["linkquality"]
    if topic.startswith("tele/"):
        tic = data["TIC"]
        return float(tic["PAPP"] if "PAPP" in tic else tic["SINSTS"])
    if topic.startswith("shellies-gen2/"):
        return data["apower"]
    return data.get("seq", 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--qos", type=int, default=1)
    parser.add_argument("--expected", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--idle-ms", type=int, default=5000)
    parser.add_argument("--timeout-s", type=int, default=900)
    args = parser.parse_args()

    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS readings (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, "
               "PRIMARY KEY (series_id, ts)) WITHOUT ROWID")
    db.commit()
    series = {}
    state = {"received": 0, "stored": 0, "pending": 0, "first": 0, "last": 0, "last_stored": 0, "subscribed": False}

    def on_connect(client, userdata, flags, reason_code, properties):
        client.subscribe([(topic, args.qos) for topic in TOPICS])

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        state["subscribed"] = True

    def on_message(client, userdata, msg):
        now = time.time_ns()
        if state["received"] == 0:
            state["first"] = now
        state["received"] += 1
        state["last"] = now
        data = json.loads(msg.payload)
        series_id = series.setdefault(msg.topic, len(series) + 1)
        db.execute("INSERT OR IGNORE INTO readings (series_id, ts, value) VALUES (?, ?, ?)",
                   (series_id, now // 1_000_000, value_of(msg.topic, data)))
        state["pending"] += 1
        if state["pending"] >= 1000 or state["received"] >= args.expected:
            commit()

    def commit():
        db.commit()
        state["stored"] += state["pending"]
        state["pending"] = 0
        state["last_stored"] = time.time_ns()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=args.client_id, clean_session=False,
                         protocol=mqtt.MQTTv311)
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(args.host, args.port, keepalive=60)
    deadline = time.monotonic() + args.timeout_s
    while not state["subscribed"]:
        client.loop(timeout=0.1)
        if time.monotonic() > deadline:
            raise SystemExit("timed out subscribing")
    with open(args.ready + ".tmp", "w") as f:
        f.write("ready\n")
    os.replace(args.ready + ".tmp", args.ready)

    # paho's loop_forever() is this loop; it is written out to stop on the count or after a silence.
    while state["stored"] < args.expected and time.monotonic() < deadline:
        client.loop(timeout=0.05)
        if state["received"] and time.time_ns() - state["last"] > args.idle_ms * 1_000_000:
            if state["pending"]:
                commit()
            break
    if state["pending"]:
        commit()
    rows = db.execute("SELECT count(*) FROM readings").fetchone()[0]
    size = sum(os.path.getsize(p) for p in (args.db, args.db + "-wal") if os.path.exists(p))
    result = {"received": state["received"], "stored": state["stored"], "rows": rows, "first_message_ns": state["first"],
              "last_message_ns": state["last"], "last_stored_ns": state["last_stored"], "db_bytes": size}
    with open(args.result + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(args.result + ".tmp", args.result)
    client.disconnect()
    time.sleep(600)  # until the harness has read /proc and sends SIGTERM


if __name__ == "__main__":
    main()
