import Foundation
import MissiveCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Splits a `multipart/related` (MTOM/XOP) body that arrives in chunks into parts: headers,
/// then body bytes in pieces, then the end of the part. Pure: it only looks for boundaries
/// (with a KMP matcher, so a boundary split across chunks is found) and never buffers a body.
public struct MultipartRelatedSplitter: Sendable {
    /// What the splitter found in the bytes fed so far.
    public enum Event: Sendable, Equatable {
        /// A part starts; header names are lower-cased.
        case headers([String: String])
        case body([UInt8])
        case partEnd
        /// The closing boundary was seen.
        case end
    }

    private enum State: Sendable {
        case preamble
        case afterDelimiter(seen: [UInt8])
        case headers
        case body
        case done
        /// A malformed spot was found; every later call throws this.
        case failed(SOAPFault)
    }

    private var boundary: BoundaryMatcher
    private var state = State.preamble
    private var headerBytes: [UInt8] = []
    private var pendingBody: [UInt8] = []
    private let maxHeaderBytes = 16 * 1024

    public init(boundary: String) {
        self.boundary = BoundaryMatcher(boundary: boundary)
    }

    /// Feeds bytes; returns the events they complete. At a malformed spot it returns the
    /// events before it and throws on the next call (or from ``finish()``), so the events and
    /// the fault come in byte order however the body was split into chunks.
    public mutating func feed(_ bytes: [UInt8]) throws(SOAPFault) -> [Event] {
        if case .failed(let fault) = state { throw fault }
        var events: [Event] = []
        var index = 0
        while index < bytes.count {
            // In a body with no partial match, everything up to the next CR is content.
            if case .body = state, boundary.matched == 0 {
                let end = bytes.withUnsafeBufferPointer { buffer -> Int in
                    guard let base = buffer.baseAddress, let found = memchr(base + index, Int32(boundary.delimiter[0]), buffer.count - index) else { return buffer.count }
                    return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                }
                if end > index {
                    pendingBody.append(contentsOf: bytes[index..<end])
                    index = end
                    continue
                }
            }
            do {
                try step(bytes[index], into: &events)
            } catch {
                state = .failed(error)
                guard !events.isEmpty || !pendingBody.isEmpty else { throw error }
                break
            }
            index += 1
        }
        if !pendingBody.isEmpty {
            events.append(.body(pendingBody))
            pendingBody.removeAll(keepingCapacity: true)
        }
        return events
    }

    /// Whether the closing boundary was seen.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// The end of the body: throws the fault of a malformed spot not thrown yet, or a
    /// truncation fault when the closing boundary is missing.
    public func finish() throws(SOAPFault) {
        switch state {
        case .done: return
        case .failed(let fault): throw fault
        case .preamble, .afterDelimiter, .headers, .body:
            throw SOAPFault(.client, "The MTOM package is truncated.", code: "invalid_request")
        }
    }

    private mutating func step(_ byte: UInt8, into events: inout [Event]) throws(SOAPFault) {
        switch state {
        case .done, .failed:
            return  // the epilogue is ignored; feed stops at a failure
        case .afterDelimiter(let seen):
            let now = seen + [byte]
            if now == [UInt8(ascii: "-"), UInt8(ascii: "-")] {
                state = .done
                events.append(.end)
            } else if now == [13, 10] {
                state = .headers
                headerBytes = []
            } else if now.count >= 2 {
                // Transport padding (spaces/tabs) before the line break is allowed; anything
                // else after the boundary is not (also not one byte just before the CR).
                if now.dropLast().allSatisfy({ $0 == 0x20 || $0 == 0x09 }), now.last == 13 || now.last == 0x20 || now.last == 0x09 {
                    state = .afterDelimiter(seen: now.last == 13 ? [13] : [])
                } else {
                    throw SOAPFault(.client, "The MTOM package has a malformed boundary line.", code: "invalid_request")
                }
            } else {
                state = .afterDelimiter(seen: now)
            }
        case .headers:
            headerBytes.append(byte)
            guard headerBytes.count <= maxHeaderBytes else {
                throw SOAPFault(.client, "An MTOM part's headers are too long.", code: "invalid_request")
            }
            if headerBytes.count >= 4, headerBytes.suffix(4).elementsEqual([13, 10, 13, 10]) {
                events.append(.headers(Self.parseHeaders(headerBytes)))
                state = .body
                boundary.reset()
            }
        case .preamble, .body:
            let (before, released, complete) = boundary.step(byte)
            if released > 0, case .body = state {
                let fromDelimiter = min(before, released)
                if fromDelimiter > 0 { pendingBody.append(contentsOf: boundary.delimiter[0..<fromDelimiter]) }
                if released > before { pendingBody.append(byte) }
            }
            if complete {
                if case .body = state {
                    if !pendingBody.isEmpty {
                        events.append(.body(pendingBody))
                        pendingBody.removeAll(keepingCapacity: true)
                    }
                    events.append(.partEnd)
                }
                state = .afterDelimiter(seen: [])
            }
        }
    }

    static func parseHeaders(_ bytes: [UInt8]) -> [String: String] {
        var headers: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }
}
