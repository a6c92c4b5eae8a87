/// Profiles and inventory shared by the integration tests, written as a commune would write them.
enum TestProfiles {
    static let roomSensor = """
        id: test-room-sensor
        name: Capteur de salle (test)
        category: room_sensor
        reporting_interval: 10m
        metrics:
          - {field: [temperature, TempC_SHT], metric: temperature, unit: "°C"}
          - {field: [humidity, Hum_SHT], metric: humidity, unit: "%RH"}
          - {field: co2, metric: co2, unit: ppm}
          - {field: seq, metric: sequence, unit: "1", kind: counter}
          - {field: radio.rssi, metric: rssi, unit: dB}
        """
    static let linky = """
        id: test-linky-tic
        name: Linky via Tasmota Teleinfo (test)
        category: electricity_meter
        reporting_interval: 1m
        metrics:
          - {field: TIC.HCHC, metric: energy_offpeak, unit: Wh, kind: counter}
          - {field: TIC.HCHP, metric: energy_peak, unit: Wh, kind: counter}
          - {field: TIC.PAPP, metric: apparent_power, unit: VA}
          - {field: ENERGY.Total, metric: energy_import, unit: kWh, kind: counter}
        """
    static let plug = """
        id: test-shelly-plug
        name: Shelly Plus 1PM (test)
        category: smart_plug
        reporting_interval: 1m
        metrics:
          - {field: "switch:0.apower", metric: power, unit: W}
          - {field: "switch:0.aenergy.total", metric: energy_import, unit: Wh, kind: counter}
          - {field: "switch:0.output", metric: relay, unit: "1", kind: state}
        """
    static let boiler = """
        id: test-boiler-probe
        name: Sonde chaufferie (test)
        category: room_sensor
        reporting_interval: 5m
        metrics:
          - {field: [temperature, depart, retour], metric: temperature, unit: "°C"}
          - {field: gas_index, metric: gas_volume, unit: m3, kind: counter}
        """
    static let all = ["test-room-sensor": roomSensor, "test-linky-tic": linky, "test-shelly-plug": plug, "test-boiler-probe": boiler]

    static let subscriptions = """
          - {topic: "application/+/device/+/event/+", format: chirpstack-v4}
          - {topic: "zigbee2mqtt/#", format: zigbee2mqtt}
          - {topic: "tele/+/+", format: tasmota}
          - {topic: "shellyplus1pm-mairie/#", format: shelly}
          - {topic: "senml/#", format: senml}
          - {topic: "capteurs/+/data", format: json, options: {device: "{1}", time_path: ts}}
          - {topic: "chaufferie/+/+", format: value, options: {device: "{1}", field: "{2}"}}
        """

    static func inventory(extraDevices: String = "") -> String {
        """
        assets:
          - {id: MAIRIE, name: Mairie, type: building, domain: batiments, address: "1 place de la Mairie"}
          - {id: ECOLE-CLASSE-1, name: "École — classe 1", type: room, domain: batiments, parent: MAIRIE}
          - {id: COMPTEUR-MAIRIE, name: Compteur Linky mairie, type: electricity_meter, domain: energie, parent: MAIRIE, attributes: {prm: "12345678901234", subscribed_power_va: 12000}}
          - {id: CHAUFFERIE, name: Chaufferie, type: boiler, domain: energie, parent: MAIRIE}
          - {id: SALLE-CONSEIL, name: Salle du conseil, type: room, domain: batiments, parent: MAIRIE}
        devices:
          - {id: "a84041000181c0b2", profile: test-room-sensor, asset: ECOLE-CLASSE-1}
          - {id: "salle_conseil", profile: test-room-sensor, asset: SALLE-CONSEIL}
          - {id: "linky_mairie", profile: test-linky-tic, asset: COMPTEUR-MAIRIE}
          - {id: "shellyplus1pm-mairie", profile: test-shelly-plug, asset: MAIRIE}
          - {id: "urn:dev:ow:10e2073a01080063", profile: test-room-sensor, asset: SALLE-CONSEIL}
          - {id: "sonde-42", profile: test-room-sensor, asset: SALLE-CONSEIL}
          - {id: "chaudiere", profile: test-boiler-probe, asset: CHAUFFERIE}
        \(extraDevices)
        """
    }
}
