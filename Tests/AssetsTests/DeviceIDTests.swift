import Testing
@testable import Assets

@Suite("Device identities")
struct DeviceIDTests {
    @Test("DevEUIs are lowercased and stripped of separators", arguments: [
        ("A84041000181C0B2", "a84041000181c0b2"),
        (" a84041000181c0b2 ", "a84041000181c0b2"),
        ("A8-40-41-00-01-81-C0-B2", "a84041000181c0b2"),
        ("a8:40:41:00:01:81:c0:b2", "a84041000181c0b2"),
    ])
    func devEUIs(raw: String, normalized: String) {
        #expect(DeviceBinding.normalizedID(raw) == normalized)
    }

    @Test("Other identities are only trimmed", arguments: [
        ("  Salle Conseil ", "Salle Conseil"),
        ("shellyplus1pm-A8032AB4C2E0", "shellyplus1pm-A8032AB4C2E0"),
        ("ABCDEF", "ABCDEF"),
        ("A84041000181C0B2FF", "A84041000181C0B2FF"),
    ])
    func otherIDs(raw: String, normalized: String) {
        #expect(DeviceBinding.normalizedID(raw) == normalized)
    }
}
