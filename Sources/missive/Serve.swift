import ArgumentParser
import Foundation
import Logging
import MissiveServer

/// `missive serve`: runs the whole hub until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the hub (REST oneAPI, dispatch, webhooks, channels).")

    @Flag(help: "Sandbox: demo organisation, test recipients, built-in print partner and eBill network, movable clock; writes DATA/sandbox.json.")
    var sandbox = false
    @OptionGroup var data: DataOptions
    @Option(help: "Address to listen on (env MISSIVE_HOST).")
    var host: String?
    @Option(name: .customLong("http-port"), help: "HTTP port, 0 for any free port (env MISSIVE_HTTP_PORT, default 8080).")
    var httpPort: Int?
    @Option(name: .customLong("config"), help: "A JSON configuration file (keys as in docs/configuration.md).")
    var configFile: String?
    @Option(name: .customLong("max-document-bytes"), help: "Largest accepted document (default 26214400).")
    var maxDocumentBytes: Int?
    @Option(name: .customLong("rate-limit"), help: "Requests per second per API key, 0 = unlimited (default 200).")
    var rateLimit: Double?
    @Option(name: .customLong("admission-backlog"), help: "Refuse new letters (503, SOAP Server fault, SMTP 451) while more than this many dispatch jobs and evidence records are due; 0 = no bound (default 5000).")
    var admissionBacklog: Int?
    @Option(name: .customLong("webhook-retry-base-seconds"), help: "First webhook retry delay (default 5, doubling).")
    var webhookRetryBase: Double?
    @Option(name: .customLong("ebill-url"), help: "The eBill network's base URL for live traffic.")
    var eBillURL: String?
    @Option(name: .customLong("print-spool"), help: "The print partner's spool folder for live traffic.")
    var printSpool: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?
    @Option(name: .customLong("smtp-port"), help: "SMTP port, 0 for any free port (env MISSIVE_SMTP_PORT, default 2525).")
    var smtpPort: Int?
    @Option(name: .customLong("smtp-domain"), help: "The hub's recipient domain; turns the SMTP listener on (env MISSIVE_SMTP_DOMAIN).")
    var smtpDomain: String?
    @Option(name: .customLong("virus-scanner"), help: "clamd: tcp:HOST:PORT or unix:PATH, or off (env MISSIVE_VIRUS_SCANNER; required outside the sandbox).")
    var virusScanner: String?
    @Option(name: .customLong("smtp-smarthost"), help: "host:port of the relay for delivery status notifications (env MISSIVE_SMTP_SMARTHOST; default: files in DATA/mail-outbox).")
    var smtpSmarthost: String?
    @Option(name: .customLong("time-stamp-url"), help: "An external RFC 3161 TSA that stamps every seal (with --time-stamp-trust-anchor; env MISSIVE_TSA_URL).")
    var timeStampURL: String?
    @Option(name: .customLong("time-stamp-trust-anchor"), help: "The external TSA's root certificate, PEM (env MISSIVE_TSA_TRUST_ANCHOR).")
    var timeStampTrustAnchor: String?
    @Flag(name: .customLong("no-evidence"), help: "Sandbox only: issue no evidence (the benchmark's baseline).")
    var noEvidence = false

    func run() async throws {
        let configuration = try resolvedConfiguration()
        var logger = Logger(label: "missive")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let hub: MissiveHub
        do {
            hub = try await MissiveHub(configuration: configuration, logger: logger)
        } catch {
            logger.critical("cannot open the data folder", metadata: ["missive.error": "\(error)"])
            throw ExitCode(2)
        }
        do {
            try await hub.run()
        } catch {
            logger.critical("stopped", metadata: ["missive.error": "\(String(describing: error))"])
            throw ExitCode(1)
        }
    }

    /// Defaults, then the config file, then environment variables, then flags.
    func resolvedConfiguration() throws -> MissiveConfiguration {
        var configuration = MissiveConfiguration()
        if let configFile {
            configuration = try JSONDecoder().decode(MissiveConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: configFile)))
        }
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["MISSIVE_HOST"] { configuration.host = value }
        if let value = environment["MISSIVE_HTTP_PORT"].flatMap(Int.init) { configuration.httpPort = value }
        if let value = environment["MISSIVE_EBILL_URL"] { configuration.eBillURL = value }
        if let value = environment["MISSIVE_EBILL_TOKEN"] { configuration.eBillToken = value }
        if environment["MISSIVE_SANDBOX"] == "1" { configuration.sandbox = true }
        if let value = environment["MISSIVE_SECRETS_KEY_FILE"] { configuration.secretsKeyFile = value }
        if let value = environment["MISSIVE_PROCESSING_KEY_FILE"] { configuration.processingKeyFile = value }
        if let value = environment["MISSIVE_SMTP_PORT"].flatMap(Int.init) { configuration.smtpPort = value }
        if let value = environment["MISSIVE_SMTP_DOMAIN"] { configuration.smtpDomain = value }
        if let value = environment["MISSIVE_SMTP_SMARTHOST"] { configuration.smtpSmarthost = value }
        if let value = environment["MISSIVE_VIRUS_SCANNER"] { configuration.virusScanner = value }
        if let value = environment["MISSIVE_TSA_URL"] { configuration.timeStampURL = value }
        if let value = environment["MISSIVE_TSA_TRUST_ANCHOR"] { configuration.timeStampTrustAnchor = value }
        configuration.dataDirectory = data.dataDirectory
        if sandbox { configuration.sandbox = true }
        if let host { configuration.host = host }
        if let httpPort { configuration.httpPort = httpPort }
        if let maxDocumentBytes { configuration.maxDocumentBytes = maxDocumentBytes }
        if let rateLimit { configuration.rateLimit = rateLimit }
        if let admissionBacklog { configuration.admissionBacklog = admissionBacklog }
        if let webhookRetryBase { configuration.webhookRetryBaseSeconds = webhookRetryBase }
        if let eBillURL { configuration.eBillURL = eBillURL }
        if let printSpool { configuration.printSpool = printSpool }
        if let logLevel { configuration.logLevel = logLevel }
        if let smtpPort { configuration.smtpPort = smtpPort }
        if let smtpDomain { configuration.smtpDomain = smtpDomain }
        if let smtpSmarthost { configuration.smtpSmarthost = smtpSmarthost }
        if let virusScanner { configuration.virusScanner = virusScanner }
        if let timeStampURL { configuration.timeStampURL = timeStampURL }
        if let timeStampTrustAnchor { configuration.timeStampTrustAnchor = timeStampTrustAnchor }
        if noEvidence { configuration.evidence = false }
        guard (0...65535).contains(configuration.smtpPort) else { throw ValidationError("--smtp-port must be 0 to 65535.") }
        guard (0...65535).contains(configuration.httpPort) else { throw ValidationError("--http-port must be 0 to 65535.") }
        guard configuration.httpIdleTimeoutSeconds > 0 else { throw ValidationError("httpIdleTimeoutSeconds must be positive.") }
        guard configuration.smtpTimeoutSeconds > 0 else { throw ValidationError("smtpTimeoutSeconds must be positive.") }
        guard configuration.admissionBacklog >= 0 else { throw ValidationError("admissionBacklog must be 0 (no bound) or positive.") }
        guard configuration.smtpMaxSessions > 0 else { throw ValidationError("smtpMaxSessions must be positive.") }
        guard configuration.maxDocumentBytes > 0 else { throw ValidationError("--max-document-bytes must be positive.") }
        configuration.maxRequestBytes = max(configuration.maxRequestBytes, configuration.maxDocumentBytes * 2 + 1_048_576)
        return configuration
    }
}
