import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MissiveChannels
import MissiveCore
import MissiveEvidence
import MissiveREST
import MissiveSMTP
import MissiveStore
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The composition root: turns a configuration into the running hub — store, core,
/// channels, workers and listeners — as one `ServiceGroup`.
public final class MissiveHub: Sendable {
    public let configuration: MissiveConfiguration
    public let store: SQLiteStore
    public let postOffice: PostOffice
    public let logger: Logger
    let blobs: FileBlobStore
    let httpClient: HTTPClient
    let clock: OffsetWallClock
    let services: [any Service]
    let listening: ListeningAddress
    let folderLock: DataFolderLock

    /// Opens the data folder and wires everything; nothing listens until ``run()``.
    public init(configuration: MissiveConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        if let files = OpenFileLimit.raiseToHard() {
            logger.info("open file limit", metadata: ["missive.open_files": "\(files)"])
        }
        let data = configuration.dataURL
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        self.folderLock = try DataFolderLock(folder: data)
        let database = try MissiveDatabase(path: data.appendingPathComponent("missive.sqlite").path)
        let secrets = try SecretsKeyFile.load(at: configuration.secretsKeyPath)
        let store = SQLiteStore(database: database, sealer: secrets, logger: logger)
        self.store = store
        // One hub per data folder (the lock above): leases of a previous run are stale.
        try await store.releaseLeases()
        let blobs = try FileBlobStore(root: data.appendingPathComponent("blobs"), processingKey: try ProcessingKeyFile.load(at: configuration.processingKeyPath))
        self.blobs = blobs
        let offset = Double(try await store.setting("sandbox.clockOffset") ?? "0") ?? 0
        let clock = OffsetWallClock(offset: configuration.sandbox ? offset : 0)
        self.clock = clock
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(30))))
        self.httpClient = httpClient

        // Test traffic always goes to the built-in partners; live traffic to configured ones.
        let testSpool = PrintSpool(root: data.appendingPathComponent("spool/sandbox"))
        let liveSpool = PrintSpool(root: configuration.printSpool.map { URL(fileURLWithPath: $0) } ?? data.appendingPathComponent("spool/live"))
        try testSpool.prepare()
        try liveSpool.prepare()
        let eBillNetwork = SandboxEBillNetwork(logger: logger)
        let ePost = EPostChannel(mailboxes: store, blobs: blobs, clock: clock, logger: logger)
        let testChannels = ChannelSet(
            ePost: ePost,
            eBill: EBillConnector(sandbox: eBillNetwork, httpClient: httpClient, blobs: blobs, logger: logger),
            physical: PrintSpoolChannel(spool: testSpool, blobs: blobs, logger: logger)
        )
        let liveEBill: any DeliveryChannel = if let url = configuration.eBillURL.flatMap(URL.init(string:)) {
            EBillConnector(configuration: .init(baseURL: url, bearerToken: configuration.eBillToken), httpClient: httpClient, blobs: blobs, logger: logger)
        } else {
            UnconfiguredChannel(reason: Reason(code: "ebill_not_configured", text: "No eBill network is configured."))
        }
        let liveChannels = ChannelSet(ePost: ePost, eBill: liveEBill, physical: PrintSpoolChannel(spool: liveSpool, blobs: blobs, logger: logger))
        let rules = PostOffice.Rules(
            channelRetry: RetryPolicy(base: configuration.channelRetryBaseSeconds, cap: 3600, maxAttempts: 12),
            webhookRetry: RetryPolicy(base: configuration.webhookRetryBaseSeconds, cap: 7200, maxAttempts: configuration.webhookMaxAttempts)
        )
        let scanner = try Self.virusScanner(configuration, blobs: blobs, logger: logger)
        if !configuration.evidence && !configuration.sandbox {
            throw MissiveError(.invalidField, "evidence can be switched off only in the sandbox.")
        }
        let evidenceKeys = configuration.evidence ? try Self.evidenceKeys(configuration, logger: logger) : nil
        try await store.sealClearWebhookSecrets()
        let postOffice = PostOffice(
            ports: .init(envelopes: store, directory: store, mailboxes: store, blobs: blobs, webhooks: store, credentials: store, scanner: scanner, evidence: evidenceKeys == nil ? nil : store, organisations: store, inboxes: store),
            channels: { mode in mode == .test ? testChannels : liveChannels }, clock: clock, rules: rules,
            admission: Admission(limit: configuration.admissionBacklog), logger: logger
        )
        self.postOffice = postOffice
        let verificationSender = try await Self.operatorOrganisation(store)
        let organisationVerifier = OrganisationVerifier(
            postOffice: postOffice, organisations: store, sender: verificationSender,
            codes: VerificationCodeHasher(key: secrets.derivedKey(label: "verification-codes")), logger: logger
        )
        let listening = ListeningAddress()
        self.listening = listening

        let seed = configuration.sandbox ? try await SandboxSeed.ensure(in: store) : nil
        if let seed {
            try await seed.ensureSMTP(in: store)
            try await seed.ensureInbox(in: store)
        }
        let smtpDomain = configuration.effectiveSMTPDomain
        let announcer = SandboxAnnouncer(seed: seed, folder: data, waitsForSMTP: smtpDomain != nil, logger: logger)
        let evidence: (EvidenceKeys, TimeStampAuthority)? = evidenceKeys.map { keys, folder in
            announcer.trustAnchor(folder.appendingPathComponent(EvidenceKeys.FileName.root).path)
            return (keys, TimeStampAuthority(keys: keys))
        }
        let stamper = try evidence.map { keys, authority in
            try Self.timeStamper(configuration, builtIn: authority, root: keys.root, httpClient: httpClient, logger: logger)
        }
        let verifier = evidence.map { SealEvidenceVerifier(trustAnchors: [$0.0.root], timeStampAnchors: stamper?.1) }
        let application = try Self.makeApplication(configuration: configuration, postOffice: postOffice, store: store, clock: clock, tsa: evidence?.1, verifier: verifier, organisationVerifier: organisationVerifier, logger: logger) { port in
            let url = "http://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(port)"
            if let parsed = URL(string: url) { listening.listen(at: parsed) }
            logger.info("listening", metadata: ["http.url": "\(url)"])
            announcer.http(url)
        }
        var smtpServer: SMTPServer?
        if let smtpDomain {
            smtpServer = try await Self.makeSMTPServer(configuration: configuration, domain: smtpDomain, postOffice: postOffice, store: store, logger: logger) { port, certificate in
                announcer.smtp(.init(host: configuration.host, port: port, domain: smtpDomain, certificate: certificate))
            }
        }
        let sender = WebhookSender(store: store, client: httpClient, clock: clock, retry: rules.webhookRetry, wake: postOffice.deliveriesAvailable, logger: logger)
        let dispatcher = WorkLoop<Job>(concurrency: 16, idle: .seconds(1), wake: postOffice.jobsAvailable, claim: { limit in
            try await store.claimJobs(limit: limit, now: clock.now(), leaseDuration: 120)
        }, perform: { job in
            await postOffice.perform(job)
        }, nextDue: {
            try await store.nextJobDue()
        }, clock: clock)
        var services: [any Service] = [
            NamedService("store") { await store.run() },
            eBillNetwork,
            SandboxPrintPartner(spool: testSpool, logger: logger),
            PrintPartnerReports(spool: testSpool, sink: postOffice, logger: logger),
            PrintPartnerReports(spool: liveSpool, sink: postOffice, logger: logger),
            NamedService("dispatcher") { await dispatcher.run() },
            NamedService("webhooks") { await sender.run() },
            NamedService("blob-sweeper") {
                // Documents no commit took up (refused, replayed, failed requests) go after an hour.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(600))
                    await blobs.sweepUncommitted(olderThan: .seconds(3600))
                }
            },
        ]
        if postOffice.admission.limit != nil {
            services.append(NamedService("admission") {
                // Five samples a second: a burst overshoots the bound by at most a fifth of
                // a second of acceptance.
                while !Task.isCancelled {
                    if let backlog = try? await store.admissionBacklog(now: clock.now()) {
                        postOffice.admission.update(backlog: backlog)
                    }
                    try? await Task.sleep(for: .milliseconds(200))
                }
            })
        }
        if let (keys, _) = evidence {
            let issuer = EvidenceIssuer(
                envelopes: store, mailboxes: store, store: store, sealer: CAdESEvidenceSealer(sealer: CAdESSeal(keys: keys), stamper: stamper!.0),
                issuer: configuration.smtpHostname ?? configuration.effectiveSMTPDomain ?? configuration.host, retry: rules.channelRetry, clock: clock, logger: logger
            )
            // Batches of up to 64 records: sealed side by side, stored with one commit each.
            let evidenceLoop = WorkLoop<[PendingEvidence]>(concurrency: 2, idle: .seconds(1), wake: postOffice.evidenceAvailable, claim: { _ in
                let batch = try await store.claimEvidence(limit: 64, now: clock.now(), leaseDuration: 120)
                return batch.isEmpty ? [] : [batch]
            }, perform: { batch in
                await issuer.issue(batch)
            }, nextDue: {
                try await store.nextEvidenceDue()
            }, clock: clock)
            services.append(NamedService("evidence") { await evidenceLoop.run() })
        } else {
            // No seal (evidence off, or no keys configured): nothing is issued, and the
            // queue the events fill is emptied rather than left to grow.
            let drain = WorkLoop<[PendingEvidence]>(concurrency: 1, idle: .seconds(1), wake: postOffice.evidenceAvailable, claim: { _ in
                let batch = try await store.claimEvidence(limit: 500, now: clock.now(), leaseDuration: 120)
                return batch.isEmpty ? [] : [batch]
            }, perform: { batch in
                try? await store.discardEvidence(batch)
            }, nextDue: {
                try await store.nextEvidenceDue()
            }, clock: clock)
            services.append(NamedService("evidence-off") { await drain.run() })
        }
        if let smtpServer {
            services.append(smtpServer)
            let delivery = DSNDelivery(outbox: store, transport: try Self.dsnTransport(configuration), retry: rules.webhookRetry, clock: clock, logger: logger)
            let mailLoop = WorkLoop<OutgoingMail>(concurrency: 8, idle: .seconds(1), wake: postOffice.mailAvailable, claim: { limit in
                try await store.claimMail(limit: limit, now: clock.now(), leaseDuration: 120)
            }, perform: { mail in
                await delivery.deliver(mail)
            }, nextDue: {
                try await store.nextMailDue()
            }, clock: clock)
            services.append(NamedService("dsn") { await mailLoop.run() })
        }
        services.append(application)
        self.services = services
    }

    /// The URL the HTTP listener is bound to, once it is.
    public func httpURL() async throws -> String { try await listening.wait().absoluteString }

    /// Runs every service until SIGTERM/SIGINT (graceful shutdown) or cancellation.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: signals, cancellationSignals: [], logger: logger))
        defer { listening.stop() }
        do {
            try await group.run()
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }
}

extension MissiveHub {
    /// clamd, or nothing: only the sandbox may run without a scanner unless told `off`.
    /// The operator's own organisation, the sender of verification letters (made once).
    static func operatorOrganisation(_ store: SQLiteStore) async throws -> OrganisationID {
        if let raw = try await store.setting("operator.organisation"), let id = OrganisationID(rawValue: raw) { return id }
        let created = try await store.createOrganisation(name: "Missive", mode: .live)
        try await store.setSetting("operator.organisation", created.organisationID.rawValue)
        return created.organisationID
    }

    static func virusScanner(_ configuration: MissiveConfiguration, blobs: FileBlobStore, logger: Logger) throws -> (any VirusScanner)? {
        switch configuration.virusScanner {
        case "off"?:
            logger.warning("virus scanning is off: documents are accepted unscanned")
            return nil
        case let text?:
            guard let address = ClamdScanner.Address(text) else {
                throw MissiveError(.invalidField, "virusScanner must be tcp:HOST:PORT, unix:/path or off.")
            }
            return ClamdScanner(address: address, blobs: blobs, logger: logger)
        case nil:
            guard configuration.sandbox else {
                throw MissiveError(.invalidField, "Set virusScanner (clamd: tcp:HOST:PORT or unix:/path), or \"off\" to accept documents unscanned.")
            }
            logger.notice("sandbox: virus scanning is off (set --virus-scanner to use clamd)")
            return nil
        }
    }
}

/// A channel that refuses everything (a live channel that is not configured).
struct UnconfiguredChannel: DeliveryChannel {
    var reason: Reason
    func deliver(_ envelope: Envelope, entry: DirectoryEntry?) async throws -> DeliveryOutcome { .refused(reason) }
}

/// A `Service` from a closure that runs until cancelled or graceful shutdown.
struct NamedService: Service {
    let name: String
    let body: @Sendable () async -> Void
    init(_ name: String, body: @escaping @Sendable () async -> Void) {
        self.name = name
        self.body = body
    }
    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}
