import Foundation
import Logging
import MissiveCore
import MissiveSMTP
import MissiveStore
import NIOCore
import NIOSSL
import Synchronization

extension MissiveHub {
    /// The SMTP listener: STARTTLS with the configured certificate (the sandbox makes one),
    /// AUTH with organisation API keys, the allowlisted client networks.
    static func makeSMTPServer(
        configuration: MissiveConfiguration, domain: String, postOffice: PostOffice, store: SQLiteStore, logger: Logger,
        onListening: @escaping @Sendable (Int, String?) -> Void
    ) async throws -> SMTPServer {
        var certificatePath: String?
        var tls: NIOSSLContext?
        if let certificate = configuration.smtpCertificate, let key = configuration.smtpPrivateKey {
            tls = try SandboxTLS.context(certificate: certificate, privateKey: key)
            certificatePath = certificate
        } else if configuration.sandbox {
            let files = try await SandboxTLS.ensure(in: configuration.dataURL.appendingPathComponent("tls"))
            tls = try SandboxTLS.context(certificate: files.certificate, privateKey: files.privateKey)
            certificatePath = files.certificate
        } else {
            logger.warning("smtp has no TLS certificate: STARTTLS and AUTH are off, only allowlisted networks can send")
        }
        var allowlist: [(network: SMTPNetwork, principal: SMTPPrincipal)] = []
        for entry in configuration.smtpAllowlist {
            guard let network = SMTPNetwork(entry.network), let organisation = OrganisationID(rawValue: entry.organisation) else {
                throw MissiveError(.invalidField, "smtpAllowlist: \(entry.network) is not a network or \(entry.organisation) not an organisation id.")
            }
            let mode = Mode(rawValue: entry.mode ?? "live") ?? .live
            allowlist.append((network, SMTPPrincipal(organisation: organisation, principal: "network:\(entry.network)", mode: mode)))
        }
        let announcedCertificate = certificatePath
        let maxMessageBytes = configuration.smtpMaxMessageBytes ?? (configuration.maxDocumentBytes * 2 + 4 * 1024 * 1024)
        let server = SMTPServer(
            configuration: .init(
                host: configuration.host, port: configuration.smtpPort, hostname: configuration.smtpHostname ?? domain,
                maxMessageBytes: maxMessageBytes, maxDocumentBytes: Int64(configuration.maxDocumentBytes),
                timeout: .milliseconds(Int64(configuration.smtpTimeoutSeconds * 1000)),
                maxSessions: configuration.smtpMaxSessions, maxSessionsPerClient: configuration.smtpMaxSessionsPerClient, tls: tls, allowlist: allowlist
            ),
            postOffice: postOffice, policy: SMTPPolicy(hubDomain: domain, credentials: store, directory: store), logger: logger,
            onListening: { port in onListening(port, announcedCertificate) }
        )
        return server
    }
}

extension MissiveHub {
    /// Where notifications go: the smarthost, or files in `<data>/mail-outbox/`.
    static func dsnTransport(_ configuration: MissiveConfiguration) throws -> DSNDelivery.Transport {
        guard let smarthost = configuration.smtpSmarthost else {
            return .folder(configuration.dataURL.appendingPathComponent("mail-outbox"))
        }
        let parts = smarthost.split(separator: ":")
        guard let portText = parts.last, let port = Int(portText), parts.count >= 2, (1...65535).contains(port) else {
            throw MissiveError(.invalidField, "smtpSmarthost must be host:port.")
        }
        let host = parts.dropLast().joined(separator: ":").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return .smtp(.init(host: host, port: port, heloName: configuration.smtpHostname ?? configuration.effectiveSMTPDomain ?? "missive"))
    }
}
