#!/usr/bin/env python3
"""Generates the benchmark's message set, deterministically, and the gateway inventory that declares its devices.

One commune-sized fleet of 5,000 devices, each publishing in its real format:

  ChirpStack v4 uplinks (LoRaWAN)   3,000 devices  street-light nodes, room/CO2 sensors, water/gas/electricity meters
  Zigbee2MQTT states                1,000 devices  Aqara temperature/humidity and motion sensors
  Tasmota Teleinfo SENSOR             500 devices  Linky meters read in historique and standard mode
  Shelly Gen2 status/switch:0         500 devices  Plus 1PM relays and Plus Plug S plugs

Every device publishes the same number of messages (messages / 5,000); a round is one message from every device, in
an order shuffled per round, so consecutive messages come from different devices as they do on a real broker.
Measurement times advance 10 minutes per round (ChirpStack `time`, Tasmota `Time` in the commune's local time);
Zigbee2MQTT and Shelly `status/switch:0` carry no time and are stored at their receive time.

Output (binary, read by bench-pub): the magic `PMCMSG01`, the count (u32 LE), then per message the topic length
(u16 LE), the payload length (u32 LE), the topic and the payload. Same seed and count => byte-identical file.
"""
import argparse
import base64
import csv
import datetime as dt
import hashlib
import json
import math
import os
import random
import struct
import sys
from zoneinfo import ZoneInfo

FORMAT_VERSION = 4  # bump when the payloads or the inventory change, so that cached files are regenerated
DEVICES = 5_000
T0 = dt.datetime(2025, 3, 3, 0, 0, 0, tzinfo=dt.timezone.utc)  # a Monday, before the DST change
ROUND = 600  # seconds between two messages of one device
PARIS = ZoneInfo("Europe/Paris")

# (profile, count, format, asset type, domain)
FLEET = [
    ("zhaga-d4i-lorawan-node", 1800, "chirpstack-v4", "light_point", "eclairage"),
    ("milesight-am307", 300, "chirpstack-v4", "room", "batiments"),
    ("milesight-am103", 200, "chirpstack-v4", "room", "batiments"),
    ("elsys-ers-co2", 150, "chirpstack-v4", "room", "batiments"),
    ("dragino-lht65", 150, "chirpstack-v4", "room", "batiments"),
    ("adeunis-pulse-water-10l", 100, "chirpstack-v4", "water_meter", "eau"),
    ("dragino-sw3l", 50, "chirpstack-v4", "water_meter", "eau"),
    ("elsys-elt2-gas-10l", 50, "chirpstack-v4", "gas_meter", "energie"),
    ("lorawan-tic-reader", 200, "chirpstack-v4", "electricity_meter", "energie"),
    ("aqara-wsdcgq11lm", 700, "zigbee2mqtt", "room", "batiments"),
    ("aqara-rtcgq11lm", 300, "zigbee2mqtt", "room", "batiments"),
    ("tasmota-teleinfo-historique", 300, "tasmota", "electricity_meter", "energie"),
    ("tasmota-teleinfo-standard", 200, "tasmota", "electricity_meter", "energie"),
    ("shelly-plus-1pm", 250, "shelly", "other", "batiments"),
    ("shelly-plus-plug-s", 250, "shelly", "other", "batiments"),
]
assert sum(entry[1] for entry in FLEET) == DEVICES

LORA_APPS = {
    "zhaga-d4i-lorawan-node": ("eclairage-public", "Zhaga D4i street-light node"),
    "milesight-am307": ("batiments", "Milesight AM307"),
    "milesight-am103": ("batiments", "Milesight AM103"),
    "elsys-ers-co2": ("batiments", "Elsys ERS CO2"),
    "dragino-lht65": ("batiments", "Dragino LHT65"),
    "adeunis-pulse-water-10l": ("eau-potable", "Adeunis Pulse"),
    "dragino-sw3l": ("eau-potable", "Dragino SW3L"),
    "elsys-elt2-gas-10l": ("energie", "Elsys ELT-2"),
    "lorawan-tic-reader": ("energie", "TIC reader"),
}


def uuid(rng):
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def js(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def iso_utc(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class Device:
    def __init__(self, index, profile, fmt, asset_type, domain, rng):
        self.index = index
        self.profile = profile
        self.format = fmt
        self.asset_type = asset_type
        self.domain = domain
        self.offset = rng.uniform(0, ROUND - 1)  # seconds into each round
        self.phase = rng.uniform(0, 2 * math.pi)
        self.base = rng.uniform(0.8, 1.2)
        self.counter = rng.randint(10_000, 9_000_000)
        self.fcnt = rng.randint(0, 30_000)
        n = index
        if fmt == "chirpstack-v4":
            self.id = "70b3d5e75e%06x" % (0x100000 + n)
            app_name, profile_name = LORA_APPS[profile]
            self.app_id = str(hashlib.md5(app_name.encode()).hexdigest())
            self.app_id = f"{self.app_id[:8]}-{self.app_id[8:12]}-{self.app_id[12:16]}-{self.app_id[16:20]}-{self.app_id[20:32]}"
            self.app_name = app_name
            self.profile_name = profile_name
            self.profile_uuid = uuid(random.Random(profile))
            self.dev_addr = "%08x" % rng.getrandbits(32)
            self.gateway = ["0016c001f153a14c", "50303541b0344750", "7276ff002e0507d9"][n % 3]
            self.name = ("EP-%04d" % n) if profile.startswith("zhaga") else "%s-%04d" % (profile.split("-")[1], n)
            self.topic = f"application/{self.app_id}/device/{self.id}/event/up"
        elif fmt == "zigbee2mqtt":
            kind = "temp" if profile == "aqara-wsdcgq11lm" else "presence"
            self.id = "salle-%04d-%s" % (n, kind)
            self.topic = f"zigbee2mqtt/{self.id}"
        elif fmt == "tasmota":
            self.id = "linky-%04d" % n
            self.topic = f"tele/{self.id}/SENSOR"
            self.adco = "0215%08d" % n
        else:
            model = "shellyplus1pm" if profile == "shelly-plus-1pm" else "shellyplusplugs"
            self.id = "%s-%012x" % (model, 0xA8032AB40000 + n)
            self.topic = f"shellies-gen2/{self.id}/status/switch:0"
        self.asset = "%s-%04d" % ({"light_point": "EP", "room": "SALLE", "water_meter": "CPT-EAU", "gas_meter": "CPT-GAZ",
                                   "electricity_meter": "CPT-ELEC", "other": "EQUIP"}[asset_type], n)

    def payload(self, r, rng):
        t = T0 + dt.timedelta(seconds=r * ROUND + self.offset)
        wave = math.sin(self.phase + r / 12)
        if self.format == "chirpstack-v4":
            return self.chirpstack(t, r, wave, rng)
        if self.format == "zigbee2mqtt":
            return self.zigbee(r, wave, rng)
        if self.format == "tasmota":
            return self.tasmota(t, r, wave, rng)
        return self.shelly(r, wave, rng)

    def chirpstack(self, t, r, wave, rng):
        p = self.profile
        self.fcnt += 1
        if p == "zhaga-d4i-lorawan-node":
            lit = (r % 144) < 80
            power = round(38.5 * self.base * (0.7 if (r % 144) > 40 else 1.0), 1) if lit else 0.0
            self.counter += int(power * ROUND / 3600)
            obj = {"active_power": power, "active_energy": self.counter, "dim_level": 70 if power and (r % 144) > 40 else (100 if lit else 0),
                   "lamp_status": "on" if lit else "off", "supply_voltage": round(230 + 3 * wave, 1),
                   "power_factor": 0.96 if lit else 0.0, "lamp_operating_time": 12_000 + r // 6, "driver_temperature": round(35 + 8 * wave, 1)}
        elif p == "milesight-am307":
            obj = {"battery": 96, "co2": int(600 + 500 * (wave + 1)), "humidity": round(45 + 8 * wave, 1),
                   "light_level": int(3 + 2 * wave), "pir": "trigger" if wave > 0 else "idle", "pressure": round(1012 + 4 * wave, 1),
                   "temperature": round(20.5 + 2 * wave, 1), "tvoc": int(2 + wave)}
        elif p == "milesight-am103":
            obj = {"battery": 88, "co2": int(550 + 400 * (wave + 1)), "humidity": round(47 + 6 * wave, 1), "temperature": round(21 + 1.5 * wave, 1)}
        elif p == "elsys-ers-co2":
            obj = {"temperature": round(20.8 + 2 * wave, 1), "humidity": int(44 + 6 * wave), "light": int(300 + 250 * wave),
                   "motion": max(0, int(6 * wave)), "co2": int(620 + 480 * (wave + 1)), "vdd": 3612}
        elif p == "dragino-lht65":
            obj = {"BatV": 3.05, "Bat_status": 3, "Ext_sensor": "Temperature Sensor", "Hum_SHT": "%.1f" % (51 + 5 * wave),
                   "TempC_DS": "%.2f" % (19.5 + 2 * wave), "TempC_SHT": "%.2f" % (20.1 + 2 * wave)}
        elif p == "adeunis-pulse-water-10l":
            self.counter += rng.randint(0, 12)
            obj = {"type": "0x46 Periodic data", "status": {"frameCounter": self.fcnt % 8, "lowBattery": False},
                   "counterValues": [self.counter, 0], "decodingInfo": "counterValues"}
        elif p == "dragino-sw3l":
            self.counter += rng.randint(0, 400)
            obj = {"Calculate_flag": 0, "Alarm": "FALSE", "Total_pulse": self.counter, "Water_flow_value": round(self.counter / 450, 1),
                   "Last_pulse": 0, "Data_time": t.strftime("%Y-%m-%d %H:%M:%S")}
        elif p == "elsys-elt2-gas-10l":
            self.counter += rng.randint(0, 30)
            obj = {"pulseAbs": self.counter, "vdd": 3587, "temperature": round(12 + 3 * wave, 1)}
        else:  # lorawan-tic-reader
            self.counter += rng.randint(50, 900)
            obj = {"ADSC": "8123456%05d" % self.index, "EAST": self.counter, "SINSTS": int(1500 + 1200 * (wave + 1)),
                   "IRMS1": int(7 + 5 * wave), "URMS1": int(231 + 2 * wave), "PREF": 12, "NTARF": 1 + (r % 2)}
        ns_time = t + dt.timedelta(milliseconds=18 + (self.index % 40))
        raw = bytes(rng.getrandbits(8) for _ in range(11))
        return js({
            "deduplicationId": uuid(rng), "time": iso_utc(t),
            "deviceInfo": {"tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242", "tenantName": "Saint-Exemple",
                           "applicationId": self.app_id, "applicationName": self.app_name,
                           "deviceProfileId": self.profile_uuid, "deviceProfileName": self.profile_name,
                           "deviceName": self.name, "devEui": self.id, "deviceClassEnabled": "CLASS_A", "tags": {}},
            "devAddr": self.dev_addr, "adr": True, "dr": 5, "fCnt": self.fcnt, "fPort": 2, "confirmed": False,
            "data": base64.b64encode(raw).decode(), "object": obj,
            "rxInfo": [{"gatewayId": self.gateway, "uplinkId": rng.randint(1, 65535), "gwTime": iso_utc(t),
                        "nsTime": iso_utc(ns_time)[:-6] + "%03d+00:00" % rng.randint(0, 999),
                        "rssi": -60 - (self.index * 7 + r) % 60, "snr": round(9.5 - ((self.index + r) % 40) / 2, 1), "channel": r % 8,
                        "context": base64.b64encode(raw[:4]).decode(),
                        "metadata": {"region_config_id": "eu868", "region_common_name": "EU868"}, "crcStatus": "CRC_OK"}],
            "txInfo": {"frequency": 867100000 + 200000 * (r % 8),
                       "modulation": {"lora": {"bandwidth": 125000, "spreadingFactor": 7 + self.index % 5, "codeRate": "CR_4_5"}}},
        })

    def zigbee(self, r, wave, rng):
        if self.profile == "aqara-wsdcgq11lm":
            return js({"battery": 97 - r // 50, "humidity": round(48 + 7 * wave, 2), "linkquality": 60 + (self.index + r) % 180,
                       "power_outage_count": 12, "pressure": round(1008 + 5 * wave, 1), "temperature": round(20.4 + 2.5 * wave, 2),
                       "voltage": 3005})
        return js({"battery": 100, "illuminance": int(120 + 100 * wave), "illuminance_lux": int(120 + 100 * wave),
                   "linkquality": 60 + (self.index + r) % 180, "occupancy": wave > 0.3, "voltage": 3025})

    def tasmota(self, t, r, wave, rng):
        local = t.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M:%S")
        papp = int(900 + 800 * (wave + 1))
        self.counter += papp * ROUND // 3600
        if self.profile == "tasmota-teleinfo-historique":
            hc = self.counter // 3
            hp = self.counter - hc
            return js({"Time": local, "ENERGY": {"TotalStartTime": "2024-11-05T09:12:40", "Total": round(self.counter / 1000, 3),
                                                 "Yesterday": 21.436, "Today": round((r % 144) * 0.15, 3), "Period": papp * ROUND // 3600,
                                                 "Power": papp, "Current": round(papp / 230, 3), "Load": int(papp / 90)},
                       "TIC": {"ADCO": self.adco, "OPTARIF": "HC..", "ISOUSC": 45, "HCHC": hc, "HCHP": hp,
                               "PTEC": "HP.." if (r % 144) > 40 else "HC..", "IINST": max(1, papp // 230), "IMAX": 90, "PAPP": papp,
                               "HHPHC": "A", "MOTDETAT": 0}, "TempUnit": "C"})
        return js({"Time": local, "TIC": {"ADSC": self.adco, "VTIC": "02", "NGTF": "     BASE       ", "LTARF": "      BASE      ",
                                          "EAST": "%09d" % self.counter, "EASF01": "%09d" % self.counter, "EASF02": "000000000",
                                          "IRMS1": "%03d" % max(1, papp // 230), "URMS1": "%03d" % int(231 + 2 * wave),
                                          "PREF": "12", "PCOUP": "12", "SINSTS": "%05d" % papp, "SMAXSN": "%05d" % (papp + 1400),
                                          "NTARF": "01", "RELAIS": "000"}})

    def shelly(self, r, wave, rng):
        on = wave > -0.5
        power = round((86.4 if self.profile == "shelly-plus-plug-s" else 1180.0) * self.base * (1 + 0.1 * wave), 1) if on else 0.0
        self.counter += int(power * ROUND / 3.6)  # milli-Wh
        minute = int((T0 + dt.timedelta(seconds=r * ROUND + self.offset)).timestamp()) // 60 * 60
        return js({"id": 0, "source": "timer", "output": on, "apower": power, "voltage": round(231 + 2 * wave, 1),
                   "current": round(power / 231, 3), "aenergy": {"total": round(self.counter / 1000, 3),
                                                                 "by_minute": [round(power * 16.7, 3), round(power * 16.7, 3), 0.0],
                                                                 "minute_ts": minute},
                   "temperature": {"tC": round(42 + 4 * wave, 1), "tF": round((42 + 4 * wave) * 1.8 + 32, 1)}})


def fleet(seed):
    rng = random.Random(seed)
    devices = []
    for profile, count, fmt, asset_type, domain in FLEET:
        for _ in range(count):
            devices.append(Device(len(devices), profile, fmt, asset_type, domain, rng))
    return devices


def write_messages(path, count, seed):
    devices = fleet(seed)
    rng = random.Random(seed + 1)
    rounds = (count + len(devices) - 1) // len(devices)
    stats = {}
    tmp = path + ".tmp"
    written = 0
    with open(tmp, "wb") as out:
        out.write(b"PMCMSG01" + struct.pack("<I", count))
        order = list(range(len(devices)))
        for r in range(rounds):
            rng.shuffle(order)
            for i in order:
                if written == count:
                    break
                device = devices[i]
                topic = device.topic.encode()
                payload = device.payload(r, rng).encode()
                out.write(struct.pack("<HI", len(topic), len(payload)) + topic + payload)
                entry = stats.setdefault(device.format, [0, 0, 10**9, 0])
                entry[0] += 1
                entry[1] += len(payload)
                entry[2] = min(entry[2], len(payload))
                entry[3] = max(entry[3], len(payload))
                written += 1
    os.replace(tmp, path)
    summary = {fmt: {"messages": n, "mean_bytes": round(total / n), "min_bytes": lo, "max_bytes": hi}
               for fmt, (n, total, lo, hi) in stats.items()}
    with open(path + ".json", "w") as out:
        json.dump({"count": count, "seed": seed, "version": FORMAT_VERSION, "devices": len(devices), "formats": summary}, out, indent=1)
    return summary


def write_inventory(folder, seed, probes):
    """assets.csv + devices.csv for the 5,000 devices (each bound to an asset), and the probe devices for latency."""
    os.makedirs(folder, exist_ok=True)
    devices = fleet(seed)
    with open(os.path.join(folder, "assets.csv"), "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["id", "name", "type", "domain"])
        for d in devices:
            w.writerow([d.asset, f"{d.asset_type} {d.index}", d.asset_type, d.domain])
        # The probes have assets of their own: the latency run's alert rule watches them.
        for p in range(probes):
            w.writerow(["BENCH-PROBE-%02d" % p, "latency probe %d" % p, "other", "environnement"])
    with open(os.path.join(folder, "devices.csv"), "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["id", "profile", "asset", "name"])
        for d in devices:
            w.writerow([d.id, d.profile, d.asset, ""])
        for p in range(probes):
            w.writerow(["bench-probe-%02d" % p, "bench-probe", "BENCH-PROBE-%02d" % p, "latency probe %d" % p])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20250303)
    parser.add_argument("--out", required=True, help="messages file")
    parser.add_argument("--inventory", help="folder for assets.csv and devices.csv")
    parser.add_argument("--probes", type=int, default=10)
    args = parser.parse_args()
    summary = write_messages(args.out, args.messages, args.seed)
    if args.inventory:
        write_inventory(args.inventory, args.seed, args.probes)
    for fmt, s in summary.items():
        print(f"  {fmt:14} {s['messages']:>9,} messages, {s['mean_bytes']} B mean ({s['min_bytes']}–{s['max_bytes']})", file=sys.stderr)


if __name__ == "__main__":
    main()
