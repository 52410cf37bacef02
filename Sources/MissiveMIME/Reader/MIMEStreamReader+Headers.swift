extension MIMEStreamReader {
    /// Feeds complete header lines from `index` to the header block. Returns true when the
    /// block ended (the region has changed), false when `buffer` ends first (`index` is then
    /// at the start of an incomplete line, or at the end).
    mutating func readHeaderLines(
        _ buffer: UnsafeBufferPointer<UInt8>, _ index: inout Int, final: Bool, _ context: HeaderContext,
        _ sink: (MIMEEvent) throws -> Void
    ) throws -> Bool {
        while index < buffer.count {
            guard let lineFeed = ByteScan.lineFeed(in: buffer, from: index) else {
                if final {
                    throw MIMEError(.truncated, "the message ends inside a header line")
                }
                guard buffer.count - index <= limits.maxLineBytes + 1 else {
                    throw MIMEError(.lineTooLong, "\(headerBlock.context): a header line is longer than \(limits.maxLineBytes) bytes")
                }
                return false
            }
            let lineEnd = lineFeed > index && buffer[lineFeed - 1] == ASCII.cr ? lineFeed - 1 : lineFeed
            let ended = try headerBlock.line(
                UnsafeBufferPointer(rebasing: buffer[index..<lineEnd]), terminatorLength: lineFeed + 1 - lineEnd)
            index = lineFeed + 1
            if ended {
                try completeHeaderBlock(context, sink)
                return true
            }
        }
        return false
    }

    /// The header block ended: reports it and enters the body (a multipart's preamble, or a
    /// leaf part's content).
    mutating func completeHeaderBlock(_ context: HeaderContext, _ sink: (MIMEEvent) throws -> Void) throws {
        let headers = try headerBlock.finish()
        headerBlock = HeaderBlockReader(limits: limits, context: "a part header block")
        atLineStart = true
        pendingLineBreak = nil
        if context.isMessage { try sink(.messageHeaders(headers)) }
        let contentType = MIMEContentType(parsing: headers.first("Content-Type"), default: context.defaultContentType)
        if contentType.isMultipart {
            try openMultipart(contentType)
            return
        }
        guard leafCount < limits.maxParts else {
            throw MIMEError(.tooManyParts, "the message has more than \(limits.maxParts) parts")
        }
        let part = MIMEPart(headers: headers, contentType: contentType, depth: frames.count, index: leafCount)
        leafCount += 1
        decoder = BodyDecoder(transferEncoding: part.transferEncoding)
        region = .leaf
        try sink(.partStart(part))
    }

    private mutating func openMultipart(_ contentType: MIMEContentType) throws {
        let depth = frames.count + 1
        guard let boundary = contentType.boundary, !boundary.isEmpty else {
            throw MIMEError(.missingBoundary, "the \(contentType.mediaType) at depth \(depth) has no boundary parameter")
        }
        let bytes = Array(boundary.utf8)
        guard bytes.count <= limits.maxBoundaryLength, !bytes.contains(where: { $0 == ASCII.cr || $0 == ASCII.lf }) else {
            throw MIMEError(.missingBoundary, "the boundary of the multipart at depth \(depth) is longer than \(limits.maxBoundaryLength) bytes or holds a line break")
        }
        guard frames.count < limits.maxDepth else {
            throw MIMEError(.tooDeep, "multiparts are nested deeper than \(limits.maxDepth)")
        }
        frames.append(Frame(boundary: bytes, isDigest: contentType.subtype == "digest"))
        region = .skipping
    }
}
