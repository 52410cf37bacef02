import Foundation
import MissiveCore
import OpenAPIRuntime

extension OneAPI {
    public func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .plainText("ok\n")))
    }

    public func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        await hooks.isReady() ? .ok(.init(body: .plainText("ready\n"))) : .serviceUnavailable(.init(body: .plainText("store unavailable\n")))
    }

    public func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        .ok(.init(body: .plainText(.init(stringLiteral: await hooks.metricsText()))))
    }

    public func getSandboxClock(_ input: Operations.GetSandboxClock.Input) async throws -> Operations.GetSandboxClock.Output {
        _ = try RequestPrincipal.organisation(.admin)
        guard let clock = hooks.sandboxClock else { throw MissiveError(.notFound, "This server is not a sandbox.") }
        return .ok(.init(body: .json(.init(now: clock.now(), offsetSeconds: Int64(clock.offsetSeconds)))))
    }

    public func advanceSandboxClock(_ input: Operations.AdvanceSandboxClock.Input) async throws -> Operations.AdvanceSandboxClock.Output {
        _ = try RequestPrincipal.organisation(.admin)
        guard let clock = hooks.sandboxClock else { throw MissiveError(.notFound, "This server is not a sandbox.") }
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        guard (1...31_536_000).contains(body.seconds) else {
            throw MissiveError(.invalidField, "seconds must be 1 to 31536000.", pointer: "/seconds")
        }
        clock.advance(by: TimeInterval(body.seconds))
        try await hooks.clockMoved(clock.offsetSeconds)
        postOffice.jobsAvailable.signal()
        postOffice.eventsCommitted()
        return .ok(.init(body: .json(.init(now: clock.now(), offsetSeconds: Int64(clock.offsetSeconds)))))
    }
}
