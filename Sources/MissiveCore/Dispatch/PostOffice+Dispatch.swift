import Foundation
import Logging

extension PostOffice {
    /// Runs one claimed job. Never throws: a failure is retried with back-off and logged.
    public func perform(_ job: Job) async {
        do {
            switch job.kind {
            case .route: try await route(job)
            case .dispatch: try await dispatch(job)
            case .consultationDeadline: try await consultationDeadline(job)
            case .printFallback: try await printFallback(job)
            }
            jobsAvailable.signal()
            eventsCommitted()
        } catch let error as MissiveError where error.code == .illegalTransition {
            // The envelope moved on (e.g. cancelled meanwhile): this job has nothing left to do.
            logger.notice("job outdated", metadata: [LogKey.job: "\(job.kind.rawValue)", LogKey.envelopeID: "\(job.envelopeID)", LogKey.error: "\(error.reason)"])
            try? await ports.envelopes.complete(job)
        } catch {
            let attempt = job.attempts + 1
            let delay = rules.channelRetry.delay(afterAttempt: attempt) ?? rules.channelRetry.cap
            logger.warning("job failed; will retry", metadata: [
                LogKey.job: "\(job.kind.rawValue)", LogKey.envelopeID: "\(job.envelopeID)",
                LogKey.error: "\(Self.describe(error))", "missive.attempt": "\(attempt)",
            ])
            try? await ports.envelopes.retry(job, at: clock.now().addingTimeInterval(delay), error: Self.describe(error))
        }
    }

    /// A content-free description of an error.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? MissiveError { return "\(error.code): \(error.reason)" }
        return String(describing: type(of: error))
    }

    private func route(_ job: Job) async throws {
        guard let record = try await ports.envelopes.record(job.envelopeID, organisation: nil),
              record.lifecycle.status == .accepted
        else { return try await ports.envelopes.complete(job) }
        let envelope = record.envelope
        let match = try await ports.directory.resolve(envelope.recipient)
        try await ports.envelopes.noteRouting(envelope.id, entry: match.entry?.id, failedChannel: nil)
        let decision = Router.decide(kind: envelope.kind, policy: envelope.policy.mode, recipient: envelope.recipient, match: match, excluded: record.failedChannels, hasInvoiceDetails: envelope.invoice != nil)
        try await ports.envelopes.apply(change(for: decision, record: record, completing: job))
    }

    /// The change that records a routing decision: `routed` plus a dispatch job, or `failed`.
    private func change(for decision: Router.Decision, record: EnvelopeRecord, completing job: Job?, fallbackFrom: Reason? = nil) -> EnvelopeChange {
        let now = clock.now()
        let envelope = record.envelope
        switch decision {
        case .channel(let channel, var reason):
            if let fallbackFrom {
                reason = Reason(code: fallbackFrom.code, text: "\(fallbackFrom.text) \(reason.text)")
            }
            let event = StatusEvent(envelopeID: envelope.id, organisationID: envelope.organisationID, type: .routed, at: now, channel: channel, reason: reason)
            // The dispatch job keeps the place of the job that routed the letter: jobs are
            // taken oldest first, so a letter accepted earlier is delivered before later
            // letters are routed, instead of every dispatch waiting behind every route job.
            let dispatchAt = min(now, job?.runAt ?? now)
            return EnvelopeChange(envelopeID: envelope.id, events: [event], enqueue: [NewJob(.dispatch, at: dispatchAt)], dropPending: [.dispatch], dispatched: false, completing: job)
        case .unreachable(var reason):
            if let fallbackFrom {
                reason = Reason(code: reason.code, text: "\(fallbackFrom.text) \(reason.text)")
            }
            let event = StatusEvent(envelopeID: envelope.id, organisationID: envelope.organisationID, type: .failed, at: now, reason: reason)
            return EnvelopeChange(envelopeID: envelope.id, events: [event], dropPending: [.dispatch, .printFallback], completing: job)
        }
    }

    private func dispatch(_ job: Job) async throws {
        guard let record = try await ports.envelopes.record(job.envelopeID, organisation: nil),
              record.lifecycle.status == .routed, let channel = record.envelope.channel
        else { return try await ports.envelopes.complete(job) }
        guard channelGate.tryEnter(channel) else {
            // The channel has its share of the workers busy (its peer may hang): the job
            // waits a second instead of one channel holding every worker.
            return try await ports.envelopes.postpone(job, until: clock.now().addingTimeInterval(1))
        }
        defer { channelGate.leave(channel) }
        let envelope = record.envelope
        if record.dispatchedAt == nil {
            // From here on the envelope is with the channel: cancel is refused.
            try await ports.envelopes.apply(EnvelopeChange(envelopeID: envelope.id, dispatched: true, requireUndispatched: true))
        }
        let entry = try await ports.directory.resolve(envelope.recipient).entry
        let outcome: DeliveryOutcome
        do {
            outcome = try await channelsByMode(envelope.mode)[channel].deliver(envelope, entry: entry)
        } catch {
            let attempt = job.attempts + 1
            if let delay = rules.channelRetry.delay(afterAttempt: attempt) {
                logger.notice("channel unavailable; retrying", metadata: [LogKey.envelopeID: "\(envelope.id)", LogKey.channel: "\(channel.rawValue)", LogKey.error: "\(Self.describe(error))"])
                return try await ports.envelopes.retry(job, at: clock.now().addingTimeInterval(delay), error: Self.describe(error))
            }
            outcome = .refused(Reason(code: "channel_unavailable", text: "The \(channel.rawValue) channel stayed unavailable after \(attempt) attempts."))
        }
        let now = clock.now()
        switch outcome {
        case .delivered(let detail):
            var enqueue: [NewJob] = []
            if channel == .ePost {
                enqueue.append(NewJob(.consultationDeadline, at: now.addingTimeInterval(rules.consultationPeriod)))
                if let days = envelope.policy.printIfNotConsultedAfterDays {
                    enqueue.append(NewJob(.printFallback, at: now.addingTimeInterval(TimeInterval(days) * 86_400)))
                }
            }
            let event = StatusEvent(envelopeID: envelope.id, organisationID: envelope.organisationID, type: .delivered, at: now, channel: channel, detail: detail)
            try await ports.envelopes.apply(EnvelopeChange(envelopeID: envelope.id, events: [event], enqueue: enqueue, completing: job))
        case .handedOver:
            try await ports.envelopes.complete(job)
        case .refused(let reason):
            try await ports.envelopes.noteRouting(envelope.id, entry: entry?.id, failedChannel: channel)
            var excluded = record.failedChannels
            excluded.insert(channel)
            if record.lifecycle.deliveredToMailbox { excluded.insert(.ePost) }
            let match: DirectoryMatch = entry.map { .found($0) } ?? .notFound
            let decision = Router.decide(kind: envelope.kind, policy: envelope.policy.mode, recipient: envelope.recipient, match: match, excluded: excluded, hasInvoiceDetails: envelope.invoice != nil)
            let fallback = Reason(code: "fallback", text: "\(channel.rawValue) refused (\(reason.code): \(reason.text)).")
            if case .unreachable = decision {
                let event = StatusEvent(envelopeID: envelope.id, organisationID: envelope.organisationID, type: .failed, at: now, channel: channel, reason: reason)
                try await ports.envelopes.apply(EnvelopeChange(envelopeID: envelope.id, events: [event], dropPending: [.dispatch], completing: job))
            } else {
                try await ports.envelopes.apply(change(for: decision, record: record, completing: job, fallbackFrom: fallback))
            }
        }
    }

    private func consultationDeadline(_ job: Job) async throws {
        guard let record = try await ports.envelopes.record(job.envelopeID, organisation: nil),
              record.lifecycle.isAllowed(.notConsulted, channel: .ePost)
        else { return try await ports.envelopes.complete(job) }
        let envelope = record.envelope
        let event = StatusEvent(envelopeID: envelope.id, organisationID: envelope.organisationID, type: .notConsulted, at: clock.now(), channel: .ePost, reason: Reason(code: "not_opened", text: "The letter was not opened within the consultation period."))
        try await ports.envelopes.apply(EnvelopeChange(envelopeID: envelope.id, events: [event], completing: job))
    }

    private func printFallback(_ job: Job) async throws {
        guard let record = try await ports.envelopes.record(job.envelopeID, organisation: nil),
              !record.lifecycle.consulted, record.lifecycle.isAllowed(.routed, channel: .physical)
        else { return try await ports.envelopes.complete(job) }
        let envelope = record.envelope
        let entry = try await ports.directory.resolve(envelope.recipient).entry
        guard envelope.recipient.postal ?? entry?.postal != nil else {
            logger.notice("print fallback impossible: no postal address", metadata: [LogKey.envelopeID: "\(envelope.id)"])
            return try await ports.envelopes.complete(job)
        }
        let reason = Reason(code: "print_if_not_consulted", text: "Not opened within \(envelope.policy.printIfNotConsultedAfterDays ?? 0) days: a paper copy is printed.")
        try await ports.envelopes.apply(change(for: .channel(.physical, reason), record: record, completing: job))
    }

    /// Re-routes an envelope that is not dispatched yet (preference change).
    func reroute(_ id: EnvelopeID, because reason: Reason) async throws {
        guard let record = try await ports.envelopes.record(id, organisation: nil),
              record.lifecycle.status == .routed, record.dispatchedAt == nil
        else { return }
        let envelope = record.envelope
        let match = try await ports.directory.resolve(envelope.recipient)
        let decision = Router.decide(kind: envelope.kind, policy: envelope.policy.mode, recipient: envelope.recipient, match: match, excluded: record.failedChannels, hasInvoiceDetails: envelope.invoice != nil)
        if case .channel(let channel, _) = decision, channel == envelope.channel { return }
        var change = change(for: decision, record: record, completing: nil, fallbackFrom: reason)
        change.requireUndispatched = true
        do {
            try await ports.envelopes.apply(change)
            jobsAvailable.signal()
            eventsCommitted()
        } catch let error as MissiveError where error.code == .conflict || error.code == .illegalTransition {
            return  // dispatched meanwhile: the preference applies to later letters
        }
    }
}
