import Foundation
import MissiveMIME
import Testing

@Suite("MIMEStreamReader: robustness against damaged input")
struct MIMERobustnessTests {
    /// The outcome of reading a message: its events (body bytes joined) or the error's kind.
    private enum Outcome: Equatable {
        case events([MIMEEvent])
        case failed(MIMEError.Kind)
    }

    private func outcome(_ message: [UInt8], chunkSizes: [UInt8]?, limits: MIMELimits) -> Outcome {
        var reader = MIMEStreamReader(limits: limits)
        var events: [MIMEEvent] = []
        let sink: (MIMEEvent) -> Void = { event in
            if case .bodyBytes(let more) = event, case .bodyBytes(let bytes)? = events.last {
                events[events.count - 1] = .bodyBytes(bytes + more)
            } else {
                events.append(event)
            }
        }
        do {
            var offset = 0
            var turn = 0
            while offset < message.count {
                let size = chunkSizes.map { 1 + Int($0[turn % $0.count]) % 9 } ?? message.count
                let end = min(offset + size, message.count)
                try reader.feed(message[offset..<end], sink)
                offset = end
                turn += 1
            }
            try reader.finish(sink)
        } catch let error as MIMEError {
            return .failed(error.kind)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return .events(events)
    }

    /// Every event sequence must be well formed: headers once first, parts balanced.
    private func isWellFormed(_ events: [MIMEEvent]) -> Bool {
        guard case .messageHeaders? = events.first else { return false }
        var open = false
        for event in events.dropFirst() {
            switch event {
            case .messageHeaders: return false
            case .partStart: if open { return false } else { open = true }
            case .bodyBytes: if !open { return false }
            case .partEnd: if open { open = false } else { return false }
            }
        }
        return !open
    }

    @Test("Damaged messages read the same in any chunking, and never trap", arguments: 0..<8)
    func mutations(batch: Int) {
        let original = MIMEStreamingTests.complexMessage
        let alphabet = Array("-\r\n= \t:;\"*'%?ABab0=_".utf8)
        let limits = MIMELimits(maxHeaderBytes: 2048, maxHeaderFields: 20, maxDepth: 3, maxParts: 5, maxLineBytes: 256)
        for seed in (batch * 50)..<(batch * 50 + 50) {
            let noise = MIMEFixtures.bytes(count: 64, seed: UInt64(seed))
            var message = original
            for index in stride(from: 0, to: 12, by: 2) {
                let position = Int(noise[index]) << 8 | Int(noise[index + 1])
                message[position % message.count] = alphabet[Int(noise[index + 20]) % alphabet.count]
            }
            if seed % 5 == 0 { message = Array(message.prefix(Int(noise[40]) * message.count / 256)) }
            let whole = outcome(message, chunkSizes: nil, limits: limits)
            let chunked = outcome(message, chunkSizes: Array(noise[30..<60]), limits: limits)
            #expect(whole == chunked, "seed \(seed)")
            if case .events(let events) = whole { #expect(isWellFormed(events), "seed \(seed)") }
        }
    }

    @Test("Random bytes are refused or read, never trap")
    func randomBytes() {
        for seed in 0..<200 {
            let bytes = MIMEFixtures.bytes(count: 1 + seed * 7, seed: UInt64(seed) + 1000)
            let whole = outcome(bytes, chunkSizes: nil, limits: MIMELimits())
            let chunked = outcome(bytes, chunkSizes: Array(bytes.prefix(16)), limits: MIMELimits())
            #expect(whole == chunked, "seed \(seed)")
        }
    }
}
