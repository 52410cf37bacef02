import MissiveMIME

/// The MIME reader (``MIMEStreamReader``) as SMTP intake uses it: a whole message, read once
/// in one piece and once in network-sized chunks.
///
/// Promises checked: only ``MIMEError`` is thrown; both readings report the same events
/// (body bytes compared concatenated per part) or fail with the same kind; the reader's
/// buffer stays bounded by its limits; events come in order (message headers first, parts
/// opened before their bytes and closed once).
public enum MIMEReaderFuzzTarget: FuzzTarget {
    public static let name = "mime"

    /// Small limits so the fuzzer reaches every limit quickly.
    static let limits = MIMELimits(maxHeaderBytes: 4096, maxHeaderFields: 64, maxDepth: 6, maxParts: 32, maxLineBytes: 1024, maxBoundaryLength: 100)

    /// What one reading produced.
    enum Reading: Equatable {
        case events([MIMEEvent])
        case failed(MIMEError.Kind)
        case foreignError(String)
        case unbounded(Int)
    }

    public static func run(_ input: [UInt8]) async -> FuzzOutcome {
        let whole = read([input[...]])
        let chunked = read(InputChunks.split(input))
        switch (whole, chunked) {
        case (.foreignError(let type), _), (_, .foreignError(let type)):
            return .violation("the reader threw \(type), not MIMEError")
        case (.unbounded(let bytes), _), (_, .unbounded(let bytes)):
            return .violation("the reader buffered \(bytes) bytes between chunks")
        case (.events(let events), .events(let other)) where events == other:
            return checkOrder(events)
        case (.failed(let kind), .failed(let other)) where kind == other:
            return .rejected(kind.rawValue)
        default:
            return .violation("reading in one piece and in chunks differ: \(summary(whole)) vs \(summary(chunked))")
        }
    }

    /// Reads `chunks` as one message; body bytes are merged per part.
    static func read(_ chunks: [ArraySlice<UInt8>]) -> Reading {
        var reader = MIMEStreamReader(limits: limits)
        var events: [MIMEEvent] = []
        let sink: (MIMEEvent) -> Void = { event in
            if case .bodyBytes(let bytes) = event, case .bodyBytes(let earlier)? = events.last {
                events[events.count - 1] = .bodyBytes(earlier + bytes)
            } else {
                events.append(event)
            }
            if case .messageHeaders(let headers) = event { touchDecodedFields(headers) }
        }
        let bound = 4 * (limits.maxLineBytes + 2 + limits.maxHeaderBytes) + 4096
        do {
            for chunk in chunks {
                try reader.feed(chunk, sink)
                if reader.bufferedByteCount > bound { return .unbounded(reader.bufferedByteCount) }
            }
            try reader.finish(sink)
            return .events(events)
        } catch let error as MIMEError {
            return .failed(error.kind)
        } catch {
            return .foreignError(String(describing: type(of: error)))
        }
    }

    /// Decodes the fields SMTP intake reads (RFC 2047 words, message ids, addresses).
    static func touchDecodedFields(_ headers: MIMEHeaders) {
        _ = headers.subject
        _ = headers.messageID
        _ = headers.from
        _ = headers.contentType
    }

    /// Message headers first; each part opened, filled, closed, with increasing indexes.
    static func checkOrder(_ events: [MIMEEvent]) -> FuzzOutcome {
        guard case .messageHeaders? = events.first else { return .violation("the first event is not the message headers") }
        var open = false
        var nextIndex = 0
        for event in events.dropFirst() {
            switch event {
            case .messageHeaders:
                return .violation("message headers reported twice")
            case .partStart(let part):
                guard !open, part.index == nextIndex else { return .violation("part \(part.index) started out of order") }
                open = true
                nextIndex += 1
            case .bodyBytes:
                guard open else { return .violation("body bytes outside a part") }
            case .partEnd:
                guard open else { return .violation("a part ended twice") }
                open = false
            }
        }
        return open ? .violation("the last part was not ended") : .accepted
    }

    static func summary(_ reading: Reading) -> String {
        switch reading {
        case .events(let events): "\(events.count) events"
        case .failed(let kind): "\(kind)"
        case .foreignError(let type): type
        case .unbounded(let bytes): "\(bytes) bytes buffered"
        }
    }
}
