import Assets

/// A configured subscription resolved to its decoder.
public struct SubscriptionRoute: Sendable {
    public let subscription: Subscription
    public let format: PayloadFormat
    public let decoder: any PayloadDecoder

    public init?(_ subscription: Subscription) {
        guard let format = PayloadFormat(rawValue: subscription.format) else { return nil }
        self.subscription = subscription
        self.format = format
        self.decoder = format.decoder
    }
}
