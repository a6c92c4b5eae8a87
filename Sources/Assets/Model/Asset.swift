/// The domains of a commune's activity; every asset belongs to one. Raw values are the identifiers used in
/// the inventory files; `label` is what the town hall reads.
public enum Domain: String, Sendable, CaseIterable, Codable {
    case eclairage
    case batiments
    case eau
    case energie
    case petiteEnfance = "petite_enfance"
    case equipementsSportifs = "equipements_sportifs"
    case espacesVerts = "espaces_verts"
    case environnement
    case mobilite
    case assainissement

    public var label: String {
        switch self {
        case .eclairage: "Éclairage public"
        case .batiments: "Bâtiments"
        case .eau: "Eau potable"
        case .energie: "Énergie"
        case .petiteEnfance: "Petite enfance"
        case .equipementsSportifs: "Équipements sportifs"
        case .espacesVerts: "Espaces verts"
        case .environnement: "Environnement"
        case .mobilite: "Mobilité"
        case .assainissement: "Assainissement"
        }
    }
}

/// What an asset is. Raw values are the identifiers used in the inventory files.
public enum AssetType: String, Sendable, CaseIterable, Codable {
    case lightPoint = "light_point"
    case controlCabinet = "control_cabinet"
    case building
    case room
    case electricityMeter = "electricity_meter"
    case waterMeter = "water_meter"
    case gasMeter = "gas_meter"
    case heatMeter = "heat_meter"
    case waterSector = "water_sector"
    case waterTank = "water_tank"
    case pumpingStation = "pumping_station"
    case boiler
    case hotWaterLoop = "hot_water_loop"
    case irrigationZone = "irrigation_zone"
    case weatherStation = "weather_station"
    case chargingStation = "charging_station"
    case parking
    case site
    case other

    public var label: String {
        switch self {
        case .lightPoint: "Point lumineux"
        case .controlCabinet: "Armoire de commande"
        case .building: "Bâtiment"
        case .room: "Salle"
        case .electricityMeter: "Compteur électrique"
        case .waterMeter: "Compteur d'eau"
        case .gasMeter: "Compteur de gaz"
        case .heatMeter: "Compteur de chaleur"
        case .waterSector: "Secteur de distribution d'eau"
        case .waterTank: "Réservoir"
        case .pumpingStation: "Station de pompage"
        case .boiler: "Chaudière"
        case .hotWaterLoop: "Boucle d'eau chaude"
        case .irrigationZone: "Zone d'arrosage"
        case .weatherStation: "Station météo"
        case .chargingStation: "Borne de recharge"
        case .parking: "Parking"
        case .site: "Site"
        case .other: "Autre"
        }
    }
}

/// A typed attribute value (nominal power in W, surface in m², PRM number, …).
public enum AttributeValue: Sendable, Equatable, Hashable {
    case number(Double)
    case text(String)
    case bool(Bool)
}

/// WGS 84 coordinates.
public struct Coordinates: Sendable, Equatable, Hashable {
    public var latitude: Double
    public var longitude: Double
    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// One thing the commune runs: a light point, a cabinet, a building, a room, a meter, a water sector…
public struct Asset: Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var type: AssetType
    public var domain: Domain
    /// The enclosing asset (a room's building, a light point's control cabinet), by id.
    public var parent: String?
    public var address: String?
    public var coordinates: Coordinates?
    public var attributes: [String: AttributeValue]

    public init(id: String, name: String, type: AssetType, domain: Domain, parent: String? = nil,
                address: String? = nil, coordinates: Coordinates? = nil, attributes: [String: AttributeValue] = [:]) {
        self.id = id
        self.name = name
        self.type = type
        self.domain = domain
        self.parent = parent
        self.address = address
        self.coordinates = coordinates
        self.attributes = attributes
    }
}

/// A device the commune has declared: the identity it publishes under, its profile, and the asset it measures.
public struct DeviceBinding: Sendable, Equatable, Identifiable {
    /// The identity in messages: DevEUI (lowercase hex), Zigbee2MQTT friendly name, Tasmota topic, Shelly id…
    public var id: String
    public var profile: String
    /// `nil` for a device declared but not yet installed on an asset.
    public var asset: String?
    public var name: String?

    public init(id: String, profile: String, asset: String? = nil, name: String? = nil) {
        self.id = id
        self.profile = profile
        self.asset = asset
        self.name = name
    }
}

/// The commune's inventory: assets and devices, as loaded from YAML and CSV files.
public struct Inventory: Sendable, Equatable {
    public var assets: [Asset]
    public var devices: [DeviceBinding]

    public init(assets: [Asset] = [], devices: [DeviceBinding] = []) {
        self.assets = assets
        self.devices = devices
    }

    public func asset(_ id: String) -> Asset? { assets.first { $0.id == id } }
    public func device(_ id: String) -> DeviceBinding? { devices.first { $0.id == id } }
}
