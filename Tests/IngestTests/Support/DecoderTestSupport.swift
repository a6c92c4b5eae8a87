import Foundation
import Testing
@testable import Ingest

/// The test bundle's `Fixtures` folder: captured and documented payloads, one folder per format.
enum TestFixtures {
    /// The URL of `Fixtures/<path>`.
    static func url(_ path: String) throws -> URL {
        try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/\(path)")
    }

    /// The bytes of `Fixtures/<path>`, exactly as stored.
    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(path)))
    }

    /// The names of the files in `Fixtures/<folder>`.
    static func names(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(folder).path)
    }
}

/// A suite of tests of one decoder, given the decoder and the receive time: decoding in a fixed context, and
/// the reasons payloads are rejected for.
protocol DecoderTestSuite {
    associatedtype Decoder: PayloadDecoder
    /// The decoder under test.
    static var decoder: Decoder { get }
    /// When every message is received, in milliseconds since the epoch (declare it as an `Int64`).
    static var receivedAt: Int64 { get }
}

extension DecoderTestSuite {
    /// 2024-11-28T07:46:40Z, unless the suite says otherwise.
    static var receivedAt: Int64 { 1_732_780_000_000 }

    /// The context messages are decoded in without options: Europe/Paris (the default), received at `receivedAt`.
    var context: DecodingContext { DecodingContext(receivedAt: Self.receivedAt) }

    /// Decodes `payload` as received on `topic` with the subscription `options`.
    func decode(_ topic: String, _ payload: [UInt8], options: [String: String] = [:]) throws(DecodeError) -> [DecodedMessage] {
        try Self.decoder.decode(topic: topic, payload: payload, context: DecodingContext(receivedAt: Self.receivedAt, options: options))
    }

    /// Decodes the UTF-8 of `text` as received on `topic` with the subscription `options`.
    func decode(_ topic: String, _ text: String, options: [String: String] = [:]) throws(DecodeError) -> [DecodedMessage] {
        try decode(topic, Array(text.utf8), options: options)
    }

    /// The reason the decoder rejects `payload` for, or `nil` when it accepts it.
    func rejection(_ topic: String, _ payload: [UInt8], options: [String: String] = [:]) -> String? {
        do {
            _ = try decode(topic, payload, options: options)
            return nil
        } catch {
            return error.reason
        }
    }

    /// The reason the decoder rejects the UTF-8 of `text` for, or `nil` when it accepts it.
    func rejection(_ topic: String, _ text: String, options: [String: String] = [:]) -> String? {
        rejection(topic, Array(text.utf8), options: options)
    }

    /// The reason the decoder rejects `payload` for; a failed expectation (and `nil`) when it accepts it.
    func expectedRejection(_ topic: String, _ payload: [UInt8], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String? {
        #expect(throws: DecodeError.self, sourceLocation: sourceLocation) { try decode(topic, payload) }?.reason
    }
}

/// A decoder test suite whose fixtures have a folder of their own.
protocol FixtureDecoderTestSuite: DecoderTestSuite {
    /// The folder of the decoder's fixtures, below `Fixtures/`.
    static var fixtureFolder: String { get }
}

extension FixtureDecoderTestSuite {
    /// The bytes of the fixture `name` in the suite's folder.
    static func fixture(_ name: String) throws -> [UInt8] {
        try TestFixtures.bytes("\(fixtureFolder)/\(name)")
    }

    /// Calls `body` with every prefix of every fixture in the suite's folder, from empty to whole: messages cut short.
    static func forEachFixturePrefix(_ body: ([UInt8]) -> Void) throws {
        for name in try TestFixtures.names(in: fixtureFolder) {
            let payload = try fixture(name)
            for length in 0...payload.count { body(Array(payload.prefix(length))) }
        }
    }
}

/// Reproducible noise for robustness tests: a linear congruential generator.
struct NoiseGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// The next pseudo-random byte.
    mutating func nextByte() -> UInt8 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }

    /// Fewer than `limit` pseudo-random bytes: the next byte draws the count, the ones after it the bytes.
    mutating func nextBytes(countBelow limit: UInt8) -> [UInt8] {
        let count = Int(nextByte() % limit)
        return (0..<count).map { _ in nextByte() }
    }
}
