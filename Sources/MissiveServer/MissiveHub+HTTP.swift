import Foundation
import Hummingbird
import Logging
import MissiveCore
import MissiveEvidence
import MissiveREST
import MissiveSOAP
import MissiveStore
import NIOCore
import OpenAPIHummingbird

extension MissiveHub {
    /// The HTTP listener: the oneAPI (generated from openapi/missive.yaml) behind problem
    /// rendering, body limits and authentication.
    static func makeApplication(
        configuration: MissiveConfiguration, postOffice: PostOffice, store: SQLiteStore, clock: OffsetWallClock,
        tsa: TimeStampAuthority?, verifier: SealEvidenceVerifier?, organisationVerifier: OrganisationVerifier, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void
    ) throws -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        let routes = RouteTable()
        router.middlewares.add(ProblemMiddleware())
        router.middlewares.add(MethodGuard(routes: routes))
        router.middlewares.add(BodyLimit(maxBytes: configuration.maxRequestBytes))
        let limiter = RateLimiter.perSecond(configuration.rateLimit)
        let principals = PrincipalCache()
        let users = OneAPI.UserAccess(
            store: store,
            accounts: UserAccounts(store: store, sealer: store.sealer, clock: clock),
            login: TwoStepLogin(store: store, sealer: store.sealer, clock: clock),
            // Each costs a password hash (32 MiB of scrypt): 20 a second overall, bursts of 100.
            keyless: configuration.rateLimit > 0 ? RateLimiter(rate: 20, burst: 100) : nil
        )
        router.middlewares.add(Authenticator(credentials: store, limiter: limiter, cache: principals, sessions: { token in
            try await users.login.principal(forSessionToken: token)
        }))
        let api = OneAPI(
            postOffice: postOffice,
            settings: .init(maxDocumentBytes: Int64(configuration.maxDocumentBytes), allowPlainHTTPWebhooks: configuration.sandbox || configuration.allowPlainHTTPWebhooks),
            hooks: .init(
                isReady: { await store.isReady() },
                metricsText: { await MetricsText.render(store: store, postOffice: postOffice, now: clock.now()) },
                sandboxClock: configuration.sandbox ? clock : nil,
                clockMoved: { offset in try await store.setSetting("sandbox.clockOffset", String(offset)) },
                evidenceVerifier: verifier,
                organisations: .init(
                    verifier: organisationVerifier, store: store,
                    mintKeys: { id in
                        (try await store.createAPIKey(organisation: id, mode: .test, name: "first test key").1,
                         try await store.createAPIKey(organisation: id, mode: .live, name: "first live key").1)
                    },
                    // Registrations carry no key to limit by: 1 a second overall, bursts of 10.
                    registrations: configuration.rateLimit > 0 ? RateLimiter(rate: 1, burst: 10) : nil
                ),
                keys: .init(store: store, revoked: { principals.forget($0) }),
                users: users
            ),
            logger: logger
        )
        try api.register(on: router, routes: routes)
        if let tsa { registerTSA(on: router, authority: tsa) }
        SOAPRoutes.register(on: router, endpoint: SOAPEndpoint(
            postOffice: postOffice,
            settings: .init(maxDocumentBytes: Int64(configuration.maxDocumentBytes), allowPlainHTTPCallbacks: configuration.sandbox || configuration.allowPlainHTTPWebhooks),
            limiter: limiter, logger: logger
        ))
        if configuration.sandbox {
            // The benchmark's baseline: same auth and body, no work.
            router.post("/v1/sandbox/noop") { request, _ -> Response in
                for try await _ in request.body {}
                return Response(status: .accepted, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
            }
        }
        let idleTimeout = TimeAmount.milliseconds(Int64(configuration.httpIdleTimeoutSeconds * 1000))
        return Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [RequestBodyPace(timeout: idleTimeout, minimumBytesPerSecond: configuration.httpMinimumBodyBytesPerSecond)],
                idleTimeout: idleTimeout
            )),
            configuration: .init(address: .hostname(configuration.host, port: configuration.httpPort), serverName: "Missive"),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? configuration.httpPort)
            },
            logger: logger
        )
    }
}

/// The Prometheus text exposition of the hub's state, read from the store at scrape time.
enum MetricsText {
    static func render(store: SQLiteStore, postOffice: PostOffice, now: Date) async -> String {
        let admission = postOffice.admission
        var lines: [String] = []
        if let counts = try? await store.statusCounts() {
            lines.append("# HELP missive_envelopes Envelopes by current status.")
            lines.append("# TYPE missive_envelopes gauge")
            for (status, count) in counts.sorted(by: { $0.key < $1.key }) {
                lines.append("missive_envelopes{status=\"\(status)\"} \(count)")
            }
            lines.append("# HELP missive_envelopes_accepted_total Envelopes accepted since the data folder was created.")
            lines.append("# TYPE missive_envelopes_accepted_total counter")
            lines.append("missive_envelopes_accepted_total \(counts.values.reduce(0, +) - (counts["rejected"] ?? 0))")
        }
        if let jobs = try? await store.pendingJobCount() {
            lines.append("# HELP missive_jobs_pending Dispatch jobs and timers not yet done.")
            lines.append("# TYPE missive_jobs_pending gauge")
            lines.append("missive_jobs_pending \(jobs)")
        }
        if let due = try? await store.dueJobCount(now: now) {
            lines.append("# HELP missive_jobs_due Dispatch jobs due now and not done: the backlog (timers set for later left out).")
            lines.append("# TYPE missive_jobs_due gauge")
            lines.append("missive_jobs_due \(due)")
        }

        lines.append("# HELP missive_admission_backlog Dispatch jobs and evidence records due, as last sampled for admission control.")
        lines.append("# TYPE missive_admission_backlog gauge")
        lines.append("missive_admission_backlog \(admission.backlog)")
        lines.append("# HELP missive_admission_limit The backlog above which new letters are refused (0: no bound).")
        lines.append("# TYPE missive_admission_limit gauge")
        lines.append("missive_admission_limit \(admission.limit ?? 0)")
        lines.append("# HELP missive_admission_refused_total Letters refused as busy (503, SOAP fault, SMTP 451 4.3.2) since start.")
        lines.append("# TYPE missive_admission_refused_total counter")
        lines.append("missive_admission_refused_total \(admission.refused)")
        lines.append("# HELP missive_channel_deliveries_in_flight Deliveries being made on each channel now (at most channelConcurrency each).")
        lines.append("# TYPE missive_channel_deliveries_in_flight gauge")
        for channel in Channel.allCases {
            lines.append("missive_channel_deliveries_in_flight{channel=\"\(channel.rawValue)\"} \(postOffice.deliveriesInFlight(channel))")
        }
        if let deliveries = try? await store.pendingDeliveryCount() {
            lines.append("# HELP missive_webhook_deliveries_pending Webhook messages waiting to be delivered.")
            lines.append("# TYPE missive_webhook_deliveries_pending gauge")
            lines.append("missive_webhook_deliveries_pending \(deliveries)")
        }
        if let evidence = try? await store.evidenceCounts() {
            lines.append("# HELP missive_evidence_pending Legal events waiting for their sealed evidence.")
            lines.append("# TYPE missive_evidence_pending gauge")
            lines.append("missive_evidence_pending \(evidence.pending)")
            lines.append("# HELP missive_evidence_records Sealed evidence records stored.")
            lines.append("# TYPE missive_evidence_records gauge")
            lines.append("missive_evidence_records \(evidence.issued)")
        }
        lines.append("# HELP missive_up 1 while the hub runs.")
        lines.append("# TYPE missive_up gauge")
        lines.append("missive_up 1")
        return lines.joined(separator: "\n") + "\n"
    }
}
