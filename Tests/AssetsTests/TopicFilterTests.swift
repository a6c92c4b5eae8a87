import Testing
@testable import Assets

@Suite("MQTT topic filters")
struct TopicFilterTests {
    @Test("Valid filters are accepted", arguments: [
        "#", "+", "a/b/c", "application/+/device/+/event/+", "zigbee2mqtt/#", "tele/+/+", "+/+/#", "/leading", "a//b",
        "shellies-gen2/#", "$SYS/broker/uptime",
    ])
    func accepts(filter: String) {
        #expect(TopicFilter.problem(with: filter) == nil)
    }

    @Test("A '#' that is not the whole last level is refused with the corrected filter")
    func misplacedHash() {
        #expect(TopicFilter.problem(with: "a/b#") == "'#' must be a whole level (write 'a/b/#')")
        #expect(TopicFilter.problem(with: "a/#/c") == "'#' must be the last level (it matches everything below it)")
    }

    @Test("A '+' that is not a whole level is refused with the corrected filter")
    func misplacedPlus() {
        #expect(TopicFilter.problem(with: "tele/dev+/SENSOR") == "'+' must be a whole level (write 'tele/dev/+/SENSOR')")
    }

    @Test("Empty filters and $share prefixes are refused")
    func emptyAndShared() {
        #expect(TopicFilter.problem(with: "") == "a topic filter cannot be empty")
        #expect(TopicFilter.problem(with: "$share/gw/tele/#")?.contains("shared_group") == true)
    }
}
