import Foundation
import Logging
import MissiveStore

/// Everything `missive serve` can be told, from flags, environment variables
/// (`MISSIVE_…`) or a JSON config file. Defaults give an embedded, single-folder hub.
public struct MissiveConfiguration: Sendable, Codable {
    /// The data folder: `missive.sqlite`, `blobs/` (encrypted), `spool/`, `keys/`.
    public var dataDirectory: String = "./missive-data"
    public var host: String = "127.0.0.1"
    /// `0` picks a free port.
    public var httpPort: Int = 8080
    /// Sandbox: built-in print partner and eBill network, demo organisation, test recipients,
    /// a clock that can be moved, `sandbox.json`.
    public var sandbox: Bool = false
    public var maxDocumentBytes: Int = 25 * 1024 * 1024
    /// The largest request body (all documents and fields together).
    public var maxRequestBytes: Int = 64 * 1024 * 1024
    /// Requests per second per API key (`0` = unlimited); bursts of twice that pass.
    public var rateLimit: Double = 200
    /// Admission control: while more than this many dispatch jobs and evidence records are
    /// due, new letters are refused with a retryable error (`0` = no bound).
    public var admissionBacklog: Int = 5_000
    /// First webhook retry delay in seconds (doubles each attempt, up to 2 hours).
    public var webhookRetryBaseSeconds: Double = 5
    public var webhookMaxAttempts: Int = 15
    /// First channel retry delay in seconds.
    public var channelRetryBaseSeconds: Double = 10
    /// The eBill network for live traffic (e.g. `https://ebill.example/api`); absent, live
    /// invoices fall back to print.
    public var eBillURL: String?
    public var eBillToken: String?
    /// The print partner's spool folder for live traffic (default `<data>/spool/live`).
    public var printSpool: String?
    /// Seconds an HTTP connection may stay idle - no request, or a request head not finished
    /// - before the hub closes it.
    public var httpIdleTimeoutSeconds: Double = 60
    /// A request body gets `httpIdleTimeoutSeconds` plus one second per this many bytes
    /// received; slower (a trickled "slow POST") and the connection is closed.
    public var httpMinimumBodyBytesPerSecond: Int = 500
    /// Allow `http://` webhook URLs (always allowed in sandbox).
    public var allowPlainHTTPWebhooks: Bool = false
    public var logLevel: String = "info"
    /// The operator's secrets key (seals API keys for WS-Security PasswordDigest); default
    /// `<data>/keys/secrets.key`, created on first run. Keep it out of database backups.
    public var secretsKeyFile: String?
    /// The operator's processing key (X25519), for which every stored document's key is
    /// wrapped so the hub can scan, print and bill it; default `<data>/keys/processing.key`,
    /// created on first run. In production keep it off the data volume and out of its backups.
    public var processingKeyFile: String?

    /// The SMTP listener's port (`0` picks a free one). It runs when `smtpDomain` is set,
    /// and always in the sandbox.
    public var smtpPort: Int = 2525
    /// The hub's recipient domain: mail to `<recipient>@<smtpDomain>` becomes letters
    /// (sandbox default `letters.sandbox.missive.ch`).
    public var smtpDomain: String?
    /// The name in the SMTP greeting and DSNs (default: `smtpDomain`).
    public var smtpHostname: String?
    /// STARTTLS certificate chain and private key (PEM). The sandbox makes its own.
    public var smtpCertificate: String?
    public var smtpPrivateKey: String?
    /// Client networks that may send without SMTP AUTH, each for one organisation.
    public var smtpAllowlist: [SMTPAllowlistEntry] = []
    /// Largest message (SIZE); default twice `maxDocumentBytes` plus 4 MiB for base64.
    public var smtpMaxMessageBytes: Int?
    /// Idle seconds allowed while waiting for a command or content (RFC 5321: 5 minutes).
    public var smtpTimeoutSeconds: Double = 300
    public var smtpMaxSessionsPerClient: Int = 20
    /// Concurrent SMTP sessions in all; one more is answered `421`. Each is one file
    /// descriptor (the hub raises its soft limit to the hard one at start).
    public var smtpMaxSessions: Int = 10_000
    /// Where delivery status notifications go: `host:port` of a relay (e.g. the local
    /// Postfix). Without one they are written to `<data>/mail-outbox/` as `.eml` files.
    public var smtpSmarthost: String?
    /// clamd, which scans every document before acceptance: `tcp:HOST:PORT` or
    /// `unix:/run/clamav/clamd.ctl`; `off` switches scanning off. Required outside the
    /// sandbox; in the sandbox scanning is off unless set.
    public var virusScanner: String?
    /// The evidence keys folder (root.pem, seal.pem + seal-key.pem, tsa.pem + tsa-key.pem);
    /// the sandbox makes its own in `<data>/evidence/`. Without it (outside the sandbox)
    /// no evidence is issued.
    public var evidenceKeysFolder: String?
    /// An external RFC 3161 time-stamp authority (a qualified provider) that stamps every
    /// seal instead of the built-in TSA: its URL (`https://…`, HTTP POST of
    /// `application/timestamp-query`).
    public var timeStampURL: String?
    /// The PEM root certificate(s) the external TSA's tokens must chain to (required with
    /// `timeStampURL`).
    public var timeStampTrustAnchor: String?
    /// HTTP Basic credentials for the external TSA, if it wants them (the password may come
    /// from `MISSIVE_TSA_PASSWORD` instead of the file).
    public var timeStampUsername: String?
    public var timeStampPassword: String?
    /// `false` switches evidence off (sandbox only: the benchmark's baseline); evidence
    /// cannot be switched off outside the sandbox.
    public var evidence: Bool = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case dataDirectory
        case host
        case httpPort
        case sandbox
        case maxDocumentBytes
        case maxRequestBytes
        case rateLimit
        case admissionBacklog
        case webhookRetryBaseSeconds
        case webhookMaxAttempts
        case channelRetryBaseSeconds
        case httpIdleTimeoutSeconds
        case httpMinimumBodyBytesPerSecond
        case eBillURL
        case eBillToken
        case printSpool
        case allowPlainHTTPWebhooks
        case logLevel
        case secretsKeyFile
        case processingKeyFile
        case smtpPort
        case smtpDomain
        case smtpHostname
        case smtpCertificate
        case smtpPrivateKey
        case smtpAllowlist
        case smtpMaxMessageBytes
        case smtpTimeoutSeconds
        case smtpMaxSessionsPerClient
        case smtpMaxSessions
        case smtpSmarthost
        case virusScanner
        case evidenceKeysFolder
        case timeStampURL
        case timeStampTrustAnchor
        case timeStampUsername
        case timeStampPassword
        case evidence
    }

    /// Every key is optional in a config file: what is absent keeps its default; an unknown
    /// key is refused, so a typo does not pass silently.
    public init(from decoder: any Decoder) throws {
        let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).filter { CodingKeys(rawValue: $0) == nil }
        guard unknown.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Unknown configuration key(s): \(unknown.sorted().joined(separator: ", "))"))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dataDirectory = try container.decodeIfPresent(String.self, forKey: .dataDirectory) ?? dataDirectory
        host = try container.decodeIfPresent(String.self, forKey: .host) ?? host
        httpPort = try container.decodeIfPresent(Int.self, forKey: .httpPort) ?? httpPort
        sandbox = try container.decodeIfPresent(Bool.self, forKey: .sandbox) ?? sandbox
        maxDocumentBytes = try container.decodeIfPresent(Int.self, forKey: .maxDocumentBytes) ?? maxDocumentBytes
        maxRequestBytes = try container.decodeIfPresent(Int.self, forKey: .maxRequestBytes) ?? maxRequestBytes
        rateLimit = try container.decodeIfPresent(Double.self, forKey: .rateLimit) ?? rateLimit
        admissionBacklog = try container.decodeIfPresent(Int.self, forKey: .admissionBacklog) ?? admissionBacklog
        webhookRetryBaseSeconds = try container.decodeIfPresent(Double.self, forKey: .webhookRetryBaseSeconds) ?? webhookRetryBaseSeconds
        webhookMaxAttempts = try container.decodeIfPresent(Int.self, forKey: .webhookMaxAttempts) ?? webhookMaxAttempts
        channelRetryBaseSeconds = try container.decodeIfPresent(Double.self, forKey: .channelRetryBaseSeconds) ?? channelRetryBaseSeconds
        httpIdleTimeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .httpIdleTimeoutSeconds) ?? httpIdleTimeoutSeconds
        httpMinimumBodyBytesPerSecond = try container.decodeIfPresent(Int.self, forKey: .httpMinimumBodyBytesPerSecond) ?? httpMinimumBodyBytesPerSecond
        eBillURL = try container.decodeIfPresent(String.self, forKey: .eBillURL)
        eBillToken = try container.decodeIfPresent(String.self, forKey: .eBillToken)
        printSpool = try container.decodeIfPresent(String.self, forKey: .printSpool)
        allowPlainHTTPWebhooks = try container.decodeIfPresent(Bool.self, forKey: .allowPlainHTTPWebhooks) ?? allowPlainHTTPWebhooks
        logLevel = try container.decodeIfPresent(String.self, forKey: .logLevel) ?? logLevel
        secretsKeyFile = try container.decodeIfPresent(String.self, forKey: .secretsKeyFile)
        processingKeyFile = try container.decodeIfPresent(String.self, forKey: .processingKeyFile)
        smtpPort = try container.decodeIfPresent(Int.self, forKey: .smtpPort) ?? smtpPort
        smtpDomain = try container.decodeIfPresent(String.self, forKey: .smtpDomain)
        smtpHostname = try container.decodeIfPresent(String.self, forKey: .smtpHostname)
        smtpCertificate = try container.decodeIfPresent(String.self, forKey: .smtpCertificate)
        smtpPrivateKey = try container.decodeIfPresent(String.self, forKey: .smtpPrivateKey)
        smtpAllowlist = try container.decodeIfPresent([SMTPAllowlistEntry].self, forKey: .smtpAllowlist) ?? smtpAllowlist
        smtpMaxMessageBytes = try container.decodeIfPresent(Int.self, forKey: .smtpMaxMessageBytes)
        smtpTimeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .smtpTimeoutSeconds) ?? smtpTimeoutSeconds
        smtpMaxSessionsPerClient = try container.decodeIfPresent(Int.self, forKey: .smtpMaxSessionsPerClient) ?? smtpMaxSessionsPerClient
        smtpMaxSessions = try container.decodeIfPresent(Int.self, forKey: .smtpMaxSessions) ?? smtpMaxSessions
        smtpSmarthost = try container.decodeIfPresent(String.self, forKey: .smtpSmarthost)
        virusScanner = try container.decodeIfPresent(String.self, forKey: .virusScanner)
        evidenceKeysFolder = try container.decodeIfPresent(String.self, forKey: .evidenceKeysFolder)
        timeStampURL = try container.decodeIfPresent(String.self, forKey: .timeStampURL)
        timeStampTrustAnchor = try container.decodeIfPresent(String.self, forKey: .timeStampTrustAnchor)
        timeStampUsername = try container.decodeIfPresent(String.self, forKey: .timeStampUsername)
        timeStampPassword = try container.decodeIfPresent(String.self, forKey: .timeStampPassword)
        evidence = try container.decodeIfPresent(Bool.self, forKey: .evidence) ?? evidence
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A client network allowed to relay without SMTP AUTH.
    public struct SMTPAllowlistEntry: Sendable, Codable {
        /// CIDR, e.g. `10.1.2.0/24`.
        public var network: String
        public var organisation: String
        /// `live` (default) or `test`.
        public var mode: String?
    }

    /// The hub's SMTP recipient domain, or nil when SMTP is off.
    var effectiveSMTPDomain: String? { smtpDomain ?? (sandbox ? "letters.sandbox.missive.ch" : nil) }

    var secretsKeyPath: String { secretsKeyFile ?? SecretsKeyFile.defaultPath(dataDirectory: dataDirectory) }
    var processingKeyPath: String { processingKeyFile ?? ProcessingKeyFile.defaultPath(dataDirectory: dataDirectory) }
    var dataURL: URL { URL(fileURLWithPath: dataDirectory, isDirectory: true) }
    var logLevelValue: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }
}
