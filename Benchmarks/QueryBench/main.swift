// Query benchmark (issue #3): one year of 15-minute readings for 2,000 series, written through the gateway's own
// write path (ReadingWriter: readings + hourly/daily/monthly rollups), then the two dashboard queries timed:
// the daily consumption of one building over a year, and the commune-wide daily totals per domain over a month.
//
//   swift run -c release pmc-query-bench [--series 2000] [--days 365] [--runs 200] [--order day|meter] [--database PATH]
import Assets
import Foundation
import SQLiteDB
import Storage

struct Options {
    var series = 2_000
    var days = 365
    var runs = 200
    var database = NSTemporaryDirectory() + "pmc-query-bench.sqlite"
    /// Time the queries on the database a previous run wrote (same --series and --days), without writing it again.
    var reuse = false
    /// `day`: one transaction per day holding every meter's readings of it (the order a live gateway writes in);
    /// `meter`: one per meter holding its whole year (an import of one meter's history at a time).
    var order = "day"

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            if flag == "--reuse" { reuse = true; continue }
            let value = iterator.next() ?? ""
            switch flag {
            case "--series": series = Int(value) ?? series
            case "--days": days = Int(value) ?? days
            case "--runs": runs = Int(value) ?? runs
            case "--database": database = value
            case "--order" where ["day", "meter"].contains(value): order = value
            default: FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8)); exit(2)
            }
        }
    }
}

let options = Options(CommandLine.arguments)
let paris = TimeZone(identifier: "Europe/Paris")!
let domains: [Domain] = [.batiments, .eclairage, .eau, .energie, .petiteEnfance, .equipementsSportifs]
let metersPerAsset = 2
let quarterHour: Int64 = 900_000
var calendar = Calendar(identifier: .gregorian)
calendar.timeZone = paris
let yearStart = Int64(calendar.date(from: DateComponents(year: 2025, month: 1, day: 1))!.timeIntervalSince1970 * 1000)
let yearEnd = yearStart + Int64(options.days) * 86_400_000

if !options.reuse {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: options.database + suffix) }
}
let db = try Schema.open(path: options.database)
try db.execute("PRAGMA cache_size = -65536")

// The inventory: one asset per two meters, spread over the domains.
let assetCount = max(1, options.series / metersPerAsset)
var inventory = Inventory()
for index in 0..<assetCount {
    inventory.assets.append(Asset(id: "A\(index)", name: "Bâtiment \(index)", type: .building, domain: domains[index % domains.count]))
}
for index in 0..<options.series {
    inventory.devices.append(DeviceBinding(id: "meter-\(index)", profile: "bench", asset: "A\(index / metersPerAsset)"))
}
try InventoryStore(connection: db).sync(inventory)

if !options.reuse {
print("Writing \(options.series) series × \(options.days) days of 15-minute counter readings through ReadingWriter, one transaction per \(options.order) …")
let writeStart = Date()
let writer = ReadingWriter(connection: db, timeZone: paris)
var generator = SystemRandomNumberGenerator()
var totalReadings = 0
// Measurements and hourly rollups are stored time first: a transaction costs about one page per hour it covers
// (`--order meter` measures the import of one meter's year at a time).
var devices: [DeviceRecord] = []
try writer.begin()
for index in 0..<options.series { devices.append(try writer.device(key: "meter-\(index)", at: yearStart).record) }
try writer.commit(checkpoint: nil)
var indexes = [Double](repeating: 0, count: options.series)
func writeReadings(meter index: Int, from start: Int64, to end: Int64) throws {
    var time = start
    while time < end {
        // A building's load: more by day than by night, a little noise.
        let hour = Double((time / 3_600_000) % 24)
        indexes[index] += (hour >= 7 && hour < 19 ? 900 : 250) * Double.random(in: 0.8...1.2, using: &generator)
        try writer.insertReading(device: devices[index], metric: "energy_import", unit: "Wh", kind: "counter", time: time,
                                 value: indexes[index].rounded(), receivedAt: time)
        time += quarterHour
        totalReadings += 1
    }
}
if options.order == "meter" {
    for index in devices.indices {
        try writer.begin()
        try writeReadings(meter: index, from: yearStart, to: yearEnd)
        try writer.commit(checkpoint: nil)
    }
} else {
    var dayStart = yearStart
    while dayStart < yearEnd {
        try writer.begin()
        for index in devices.indices { try writeReadings(meter: index, from: dayStart, to: min(dayStart + 86_400_000, yearEnd)) }
        try writer.commit(checkpoint: nil)
        dayStart += 86_400_000
    }
}
try writer.refreshPendingRollups()
let writeSeconds = Date().timeIntervalSince(writeStart)
try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
let fileSize = (try FileManager.default.attributesOfItem(atPath: options.database)[.size] as? Int64) ?? 0
print(String(format: "  %d readings in %.0f s (%.0f readings/s), database %.0f MB (%.1f B per reading, rollups included)",
             totalReadings, writeSeconds, Double(totalReadings) / writeSeconds, Double(fileSize) / 1_048_576, Double(fileSize) / Double(totalReadings)))
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func time(_ name: String, _ body: () throws -> Int) throws -> String {
    _ = try body() // warm the page cache once, as a running gateway would be
    var samples: [Double] = []
    var rows = 0
    for _ in 0..<options.runs {
        let start = DispatchTime.now().uptimeNanoseconds
        rows = try body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
    }
    samples.sort()
    return String(format: "| %@ | %d | %.2f ms | %.2f ms | %.2f ms | %@ |", name, rows, percentile(samples, 0.5), percentile(samples, 0.99),
                  samples.last!, percentile(samples, 0.99) < 50 ? "yes" : "**no**")
}

let queries = GatewayQueries(connection: db)
let monthStart = Int64(calendar.date(from: DateComponents(year: 2025, month: 3, day: 1))!.timeIntervalSince1970 * 1000)
let monthEnd = Int64(calendar.date(from: DateComponents(year: 2025, month: 4, day: 1))!.timeIntervalSince1970 * 1000)
print("")
print("| query (\(options.runs) runs) | rows | p50 | p99 | max | p99 < 50 ms |")
print("|---|---:|---:|---:|---:|:---:|")
print(try time("daily consumption of one building over a year") {
    try queries.rollups(asset: "A\(assetCount / 2)", metric: "energy_import", period: .day, from: yearStart, to: yearEnd).count
})
print(try time("commune-wide daily totals per domain over a month (March, a DST month)") {
    try queries.domainTotals(metric: "energy_import", period: .day, from: monthStart, to: monthEnd).count
})
