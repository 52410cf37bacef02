import Foundation

extension EBillConnector {
    /// Where and how to reach an eBill network.
    public struct Configuration: Sendable, Hashable {
        /// The network's base URL; bills go to `{baseURL}/v1/bills`.
        public var baseURL: URL
        /// Sent as `Authorization: Bearer …` when set. Never logged.
        public var bearerToken: String?
        /// The limit for one whole request (connect, send, answer).
        public var timeout: Duration

        /// Creates a configuration.
        /// - Parameters:
        ///   - baseURL: The network's base URL.
        ///   - bearerToken: The credential the network issued, if it wants one.
        ///   - timeout: The limit for one request; 30 seconds by default.
        public init(baseURL: URL, bearerToken: String? = nil, timeout: Duration = .seconds(30)) {
            self.baseURL = baseURL
            self.bearerToken = bearerToken
            self.timeout = timeout
        }
    }
}
