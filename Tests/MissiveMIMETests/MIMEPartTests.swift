import MissiveMIME
import Testing

@Suite("MIMEContentType and MIMEPart: parameters and file names")
struct MIMEPartTests {
    private func part(_ fields: [(String, String)]) -> MIMEPart {
        MIMEPart(headers: MIMEHeaders(fields: fields.map { (name: $0.0, value: $0.1) }), depth: 1, index: 0)
    }

    @Test("Content-Type: lowercased type, unquoted parameters, comments skipped")
    func contentType() {
        let type = MIMEContentType(parsing: "Text/HTML; Charset=\"UTF-8\" ; format=flowed (a comment); x=\"a\\\"b;c\"")
        #expect(type.type == "text")
        #expect(type.subtype == "html")
        #expect(type.mediaType == "text/html")
        #expect(type.parameters == ["charset": "UTF-8", "format": "flowed", "x": "a\"b;c"])
        #expect(MIMEContentType(parsing: "text/plain; charset=us-ascii (Plain text)").charset == "us-ascii")
        #expect(MIMEContentType(parsing: "multipart/mixed;\r\n boundary=\"----=_Part_1\"").boundary == "----=_Part_1")
    }

    @Test("Missing or unparseable Content-Type means text/plain; charset=us-ascii", arguments: [
        nil, "", "text", "text/", "/plain", "text/pl ain; x=1", "tex(t/plain", "a/b/c",
    ] as [String?])
    func defaults(value: String?) {
        #expect(MIMEContentType(parsing: value) == .textPlain)
    }

    @Test("RFC 2231: continuations, percent-encoding, charset and language")
    func rfc2231() {
        let type = MIMEContentType(parsing: """
            application/pdf; name*0*=utf-8'de'Rechnung%20Nr.%20; name*1*=42%20%E2%82%AC; name*2=".pdf"; \
            title*=iso-8859-1''Gr%FC%DFe; plain*=''100%25
            """)
        #expect(type.parameters["name"] == "Rechnung Nr. 42 €.pdf")
        #expect(type.parameters["title"] == "Grüße")
        #expect(type.parameters["plain"] == "100%")
        let precedence = MIMEContentType(parsing: "application/pdf; name=\"fallback.pdf\"; name*=utf-8''Fran%C3%A7ais.pdf")
        #expect(precedence.parameters["name"] == "Français.pdf")
        let unordered = MIMEContentType(parsing: "application/pdf; name*1=\"b.pdf\"; name*0=\"a\"")
        #expect(unordered.parameters["name"] == "ab.pdf")
    }

    @Test("filename: Content-Disposition filename* first, then filename, then Content-Type name")
    func filenameSources() {
        let both = part([
            ("Content-Type", "application/pdf; name=\"type-name.pdf\""),
            ("Content-Disposition", "attachment; filename=\"disposition.pdf\"; filename*=utf-8''Br%C3%BCcke.pdf"),
        ])
        #expect(both.filename == "Brücke.pdf")
        #expect(both.disposition == "attachment")
        let nameOnly = part([("Content-Type", "application/pdf; name=\"type-name.pdf\""), ("Content-Disposition", "INLINE")])
        #expect(nameOnly.filename == "type-name.pdf")
        #expect(nameOnly.disposition == "inline")
        #expect(part([("Content-Type", "application/pdf")]).filename == nil)
        #expect(part([("Content-Type", "application/pdf")]).disposition == nil)
    }

    @Test("filename: RFC 2047 words (Outlook), paths and control characters removed", arguments: [
        ("attachment; filename=\"=?utf-8?B?UmVjaG51bmfigqwucGRm?=\"", "Rechnung€.pdf"),
        ("attachment; filename=\"=?iso-8859-1?Q?Gr=FC=DFe.pdf?=\"", "Grüße.pdf"),
        ("attachment; filename=\"C:\\\\Users\\\\anna\\\\brief.pdf\"", "brief.pdf"),
        ("attachment; filename=\"../../etc/passwd\"", "passwd"),
        ("attachment; filename*=utf-8''..%2F..%2Fsecret.pdf", "secret.pdf"),
        ("attachment; filename=\"a\u{0}b\tc.pdf\"", "abc.pdf"),
        ("attachment; filename=my letter.pdf", "my letter.pdf"),
        ("attachment; filename=\"..\"", nil),
        ("attachment; filename=\"  \"", nil),
        ("attachment; filename=\"dir/\"", "dir"),
    ] as [(String, String?)])
    func filenameCleaning(disposition: String, expected: String?) {
        #expect(part([("Content-Disposition", disposition)]).filename == expected)
    }

    @Test("Content-Transfer-Encoding is lowercased, 7bit by default")
    func transferEncoding() {
        #expect(part([]).transferEncoding == "7bit")
        #expect(part([("Content-Transfer-Encoding", " Base64 ")]).transferEncoding == "base64")
        #expect(part([("Content-Transfer-Encoding", "Quoted-Printable (comment)")]).transferEncoding == "quoted-printable")
    }
}
