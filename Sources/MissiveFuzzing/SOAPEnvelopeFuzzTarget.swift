import MissiveCore
import MissiveSOAP

/// The SOAP envelope reader as the endpoint drives it (``SOAPIntake``: the libxml2 push
/// parser feeding ``SOAPRequestReader``, documents streamed into a blob store and checked as
/// PDFs). An input starting with `--` is an MTOM/XOP package whose boundary is the rest of
/// its first line; any other input is a plain SOAP body.
///
/// Promises checked: only ``SOAPFault`` or ``MissiveError`` comes out; reading in one piece
/// and in chunks gives the same operation, documents and fault code; the fault the endpoint
/// would send is well-formed XML (the reader quotes element names in some fault texts).
public enum SOAPEnvelopeFuzzTarget: FuzzTarget {
    public static let name = "soap"

    static let settings = SOAPEndpoint.Settings(maxDocumentBytes: 64 * 1024, maxAttachments: 4, maxBatchItems: 4)

    /// What one reading produced.
    struct Reading: Equatable {
        var outcome: FuzzOutcome
        var operation: SOAPElement?
        var documents: [SOAPRequestReader.DocumentSource]
        var stored: [String]
    }

    public static func run(_ input: [UInt8]) async -> FuzzOutcome {
        let boundary = mtomBoundary(input)
        let whole = await read([input[...]], boundary: boundary)
        if case .violation = whole.outcome { return whole.outcome }
        let chunked = await read(InputChunks.split(input), boundary: boundary)
        if case .violation = chunked.outcome { return chunked.outcome }
        guard whole == chunked else {
            return .violation("reading in one piece and in chunks differ: \(whole.outcome) vs \(chunked.outcome)")
        }
        return whole.outcome
    }

    /// The boundary of an input that starts with `--`, up to its first line break.
    static func mtomBoundary(_ input: [UInt8]) -> String? {
        guard input.starts(with: [45, 45]) else { return nil }
        let line = input.dropFirst(2).prefix { $0 != 13 && $0 != 10 }
        guard !line.isEmpty, line.count <= 200 else { return nil }
        return String(decoding: line, as: UTF8.self)
    }

    static func read(_ chunks: [ArraySlice<UInt8>], boundary: String?) async -> Reading {
        let blobs = MemoryBlobStore()
        var intake = SOAPIntake(blobs: blobs, settings: settings)
        let body = ChunkSequence(chunks: chunks)
        var outcome = FuzzOutcome.accepted
        do {
            if let boundary {
                try await intake.readMTOM(body, boundary: boundary)
            } else {
                try await intake.read(body)
            }
            _ = try await intake.documents(0..<intake.reader.documents.count)
        } catch let fault as SOAPFault {
            outcome = check(fault, version: intake.reader.version ?? .soap11)
        } catch let error as MissiveError {
            outcome = check(SOAPFault(error), version: intake.reader.version ?? .soap11)
        } catch {
            outcome = .violation("the intake threw \(type(of: error))")
        }
        await intake.discard()
        return Reading(outcome: outcome, operation: intake.reader.operation, documents: intake.reader.documents, stored: blobs.finished.map(\.sha256))
    }

    /// The fault as the endpoint renders it must parse as XML.
    static func check(_ fault: SOAPFault, version: SOAPVersion) -> FuzzOutcome {
        let xml = SOAPWriter(version: version).fault(fault)
        let parser = XMLPushParser { _ in }
        do {
            try parser.feed(Array(xml.utf8))
            try parser.finish()
        } catch {
            return .violation("the \(fault.code) fault is not well-formed XML (\(error.code))")
        }
        return .rejected(fault.code)
    }
}

/// Chunks of a request body, as the HTTP server hands them over.
struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let chunks: [ArraySlice<UInt8>]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ArraySlice<UInt8>>
        mutating func next() async throws(any Error) -> ArraySlice<UInt8>? {
            remaining.popFirst()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(remaining: chunks[...])
    }
}
