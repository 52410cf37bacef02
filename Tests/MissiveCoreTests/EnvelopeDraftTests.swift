import Foundation
import MissiveCore
import Testing

@Suite("EnvelopeDraft")
struct EnvelopeDraftTests {
    static let main = DocumentRef(role: .main, filename: "invoice.pdf", mediaType: "application/pdf", byteSize: 1234, sha256: String(repeating: "a", count: 64), pageCount: 2, storageKey: "blobs/aa/aaaa")
    static let attachment = DocumentRef(role: .attachment, filename: "terms.pdf", mediaType: "application/pdf", byteSize: 99, sha256: String(repeating: "b", count: 64), pageCount: 1, storageKey: "blobs/bb/bbbb")
    static let postal = PostalAddress(name: "Anna Muster", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich")

    static func draft() -> EnvelopeDraft {
        EnvelopeDraft(
            ingress: .rest, ingressReference: "key-1", kind: .invoice, title: "Invoice 42", reference: "INV-42",
            recipient: Recipient(uid: "CHE-123.456.789", postal: postal), documents: [main, attachment],
            policy: ChannelPolicy(mode: .auto, printIfNotConsultedAfterDays: 10, notBefore: Date(timeIntervalSince1970: 1_800_000_000)),
            print: PrintOptions(mailClass: .a, color: true, duplex: false, addressPlacement: .right),
            invoice: InvoiceDetails(amount: "120.50", currency: "CHF", reference: "RF18539007547034", iban: "CH4431999123000889012", dueDate: "2026-01-31")
        )
    }

    // MARK: validate

    @Test("a complete draft is valid, and so is a minimal one")
    func valid() throws {
        try Self.draft().validate()
        try EnvelopeDraft(ingress: .smtp, recipient: Recipient(postal: Self.postal), documents: [Self.main]).validate()
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var change: @Sendable (inout EnvelopeDraft) -> Void
        var code: MissiveError.Code
        var pointer: String
        var testDescription: String { name }
    }

    static let invalid: [Case] = [
        Case(name: "empty recipient", change: { $0.recipient = Recipient() }, code: .invalidField, pointer: "/recipient"),
        Case(name: "bad UID", change: { $0.recipient.uid = "CHE-1" }, code: .invalidField, pointer: "/recipient/uid"),
        Case(name: "no documents", change: { $0.documents = [] }, code: .invalidRequest, pointer: "document"),
        Case(name: "attachments only", change: { $0.documents = [attachment] }, code: .invalidRequest, pointer: "document"),
        Case(name: "two main documents", change: { $0.documents = [main, main] }, code: .invalidRequest, pointer: "document"),
        Case(name: "a second main document after an attachment", change: { $0.documents[1].role = .main }, code: .invalidRequest, pointer: "document"),
        Case(name: "title 201 characters", change: { $0.title = String(repeating: "t", count: 201) }, code: .invalidField, pointer: "/title"),
        Case(name: "title with newline", change: { $0.title = "Invoice\n42" }, code: .invalidField, pointer: "/title"),
        Case(name: "title with CR", change: { $0.title = "Invoice\r42" }, code: .invalidField, pointer: "/title"),
        Case(name: "title with a control character", change: { $0.title = "Invoice\u{7}42" }, code: .invalidField, pointer: "/title"),
        Case(name: "title with NEL", change: { $0.title = "Invoice\u{85}42" }, code: .invalidField, pointer: "/title"),
        Case(name: "reference with newline", change: { $0.reference = "INV\n42" }, code: .invalidField, pointer: "/reference"),
        Case(name: "reference with a control character", change: { $0.reference = "INV\u{0}42" }, code: .invalidField, pointer: "/reference"),
        Case(name: "reference 101 characters", change: { $0.reference = String(repeating: "r", count: 101) }, code: .invalidField, pointer: "/reference"),
        Case(name: "print after 0 days", change: { $0.policy.printIfNotConsultedAfterDays = 0 }, code: .invalidField, pointer: "/policy/printIfNotConsultedAfterDays"),
        Case(name: "print after 61 days", change: { $0.policy.printIfNotConsultedAfterDays = 61 }, code: .invalidField, pointer: "/policy/printIfNotConsultedAfterDays"),
        Case(name: "print after -1 days", change: { $0.policy.printIfNotConsultedAfterDays = -1 }, code: .invalidField, pointer: "/policy/printIfNotConsultedAfterDays"),
        Case(name: "physicalOnly with print fallback", change: { $0.policy.mode = .physicalOnly }, code: .invalidField, pointer: "/policy/printIfNotConsultedAfterDays"),
        Case(name: "currency USD", change: { $0.invoice?.currency = "USD" }, code: .invalidField, pointer: "/invoice/currency"),
        Case(name: "currency lowercase", change: { $0.invoice?.currency = "chf" }, code: .invalidField, pointer: "/invoice/currency"),
        Case(name: "amount not a number", change: { $0.invoice?.amount = "abc" }, code: .invalidField, pointer: "/invoice/amount"),
        Case(name: "amount empty", change: { $0.invoice?.amount = "" }, code: .invalidField, pointer: "/invoice/amount"),
    ]

    @Test("invalid drafts are refused with a code and pointer", arguments: invalid)
    func invalidDraft(_ testCase: Case) {
        var draft = Self.draft()
        testCase.change(&draft)
        let error = #expect(throws: MissiveError.self) { try draft.validate() }
        #expect(error?.code == testCase.code)
        #expect(error?.pointer == testCase.pointer)
    }

    @Test("limits are inclusive")
    func limits() throws {
        var draft = Self.draft()
        draft.title = String(repeating: "t", count: 200)
        draft.reference = String(repeating: "r", count: 100)
        draft.policy.printIfNotConsultedAfterDays = 1
        try draft.validate()
        draft.policy.printIfNotConsultedAfterDays = 60
        draft.invoice?.currency = "EUR"
        try draft.validate()
        draft.policy = ChannelPolicy(mode: .physicalOnly)
        try draft.validate()
    }

    @Test("amounts are plain decimals with two decimals or none", arguments: [
        "12abc", "1,000.00", "0x10", "12.50 CHF", "-5", "+5", "1e5", "12.5", "12.505", ".50", "12.", "1234567890", " 12", "12 ", "１２",
    ])
    func malformedAmount(_ amount: String) {
        var draft = Self.draft()
        draft.invoice?.amount = amount
        let error = #expect(throws: MissiveError.self) { try draft.validate() }
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/invoice/amount")
    }

    @Test("well-formed amounts pass", arguments: ["0", "120.50", "120", "0.05", "999999999.99", "000000001"])
    func amounts(_ amount: String) throws {
        var draft = Self.draft()
        draft.invoice?.amount = amount
        try draft.validate()
    }

    @Test("IBAN, QR reference and due date are checked", arguments: [
        ("iban", "CH44 3199 9123 0008 8901 2", "/invoice/iban"),
        ("iban", "ch4431999123000889012", "/invoice/iban"),
        ("iban", "CH44319991", "/invoice/iban"),
        ("iban", "", "/invoice/iban"),
        ("reference", String(repeating: "1", count: 36), "/invoice/reference"),
        ("reference", "RF18\n539007547034", "/invoice/reference"),
        ("dueDate", "31.01.2026", "/invoice/dueDate"),
        ("dueDate", "2026-1-31", "/invoice/dueDate"),
        ("dueDate", "2026-01-31T00:00:00Z", "/invoice/dueDate"),
    ])
    func invoiceFields(_ field: String, value: String, pointer: String) {
        var draft = Self.draft()
        switch field {
        case "iban": draft.invoice?.iban = value
        case "reference": draft.invoice?.reference = value
        default: draft.invoice?.dueDate = value
        }
        let error = #expect(throws: MissiveError.self) { try draft.validate() }
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == pointer)
    }

    @Test("optional invoice fields may be absent; a 35-character reference is fine")
    func invoiceOptionals() throws {
        var draft = Self.draft()
        draft.invoice = InvoiceDetails(amount: "1.00", currency: "EUR")
        try draft.validate()
        draft.invoice?.reference = String(repeating: "1", count: 35)
        try draft.validate()
    }

    // MARK: fingerprint

    @Test("the fingerprint is a lowercase SHA-256 hex digest and is stable")
    func fingerprintShape() {
        let fingerprint = Self.draft().fingerprint
        #expect(fingerprint.count == 64)
        #expect(fingerprint.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(Self.draft().fingerprint == fingerprint)
    }

    @Test("the ingress reference and storage keys do not change the fingerprint")
    func fingerprintIgnoresWhereAndHow() {
        let base = Self.draft().fingerprint
        var other = Self.draft()
        other.ingressReference = "another-key"
        other.documents[0].storageKey = "elsewhere/1"
        other.documents[1].storageKey = "elsewhere/2"
        #expect(other.fingerprint == base)
        other.ingressReference = nil
        #expect(other.fingerprint == base)
    }

    static let changes: [(String, @Sendable (inout EnvelopeDraft) -> Void)] = [
        ("ingress", { $0.ingress = .soap }),
        ("kind", { $0.kind = .letter }),
        ("title", { $0.title = "Invoice 43" }),
        ("title nil", { $0.title = nil }),
        ("title empty", { $0.title = "" }),
        ("reference", { $0.reference = "INV-43" }),
        ("recipient uid", { $0.recipient.uid = "CHE-123.456.780" }),
        ("recipient ePost", { $0.recipient.ePostAddress = "a@b.ch" }),
        ("recipient eBill", { $0.recipient.eBillID = "41100000000000017" }),
        ("postal name", { $0.recipient.postal?.name = "Anna Mustermann" }),
        ("postal line 2", { $0.recipient.postal?.addressLine2 = "c/o Beat" }),
        ("postal street", { $0.recipient.postal?.street = "Seestrasse" }),
        ("postal number", { $0.recipient.postal?.houseNumber = "2" }),
        ("postal postcode", { $0.recipient.postal?.postcode = "8002" }),
        ("postal town", { $0.recipient.postal?.town = "Zurich" }),
        ("postal country", { $0.recipient.postal?.country = "LI" }),
        ("document sha256", { $0.documents[0].sha256 = String(repeating: "c", count: 64) }),
        ("document size", { $0.documents[0].byteSize += 1 }),
        ("document filename", { $0.documents[0].filename = "other.pdf" }),
        ("document media type", { $0.documents[0].mediaType = "application/x-pdf" }),
        ("document pages", { $0.documents[0].pageCount = 3 }),
        ("document role", { $0.documents[1].role = .main }),
        ("document order", { $0.documents.reverse() }),
        ("attachment dropped", { $0.documents.removeLast() }),
        ("policy mode", { $0.policy.mode = .digitalOnly }),
        ("policy print days", { $0.policy.printIfNotConsultedAfterDays = 11 }),
        ("policy notBefore", { $0.policy.notBefore = Date(timeIntervalSince1970: 1_800_000_001) }),
        ("policy notBefore nil", { $0.policy.notBefore = nil }),
        ("mail class", { $0.print.mailClass = .b }),
        ("color", { $0.print.color = false }),
        ("duplex", { $0.print.duplex = true }),
        ("placement", { $0.print.addressPlacement = .left }),
        ("amount", { $0.invoice?.amount = "120.51" }),
        ("currency", { $0.invoice?.currency = "EUR" }),
        ("QR reference", { $0.invoice?.reference = "RF18539007547035" }),
        ("IBAN", { $0.invoice?.iban = "CH4431999123000889013" }),
        ("due date", { $0.invoice?.dueDate = "2026-02-01" }),
        ("no invoice", { $0.invoice = nil }),
    ]

    @Test("any field the sender chose changes the fingerprint")
    func fingerprintSeesEveryField() {
        let base = Self.draft().fingerprint
        var seen: Set<String> = [base]
        for (name, change) in Self.changes {
            var draft = Self.draft()
            change(&draft)
            #expect(draft != Self.draft(), "\(name) must change the draft")
            #expect(draft.fingerprint != base, "\(name)")
            #expect(seen.insert(draft.fingerprint).inserted, "\(name) collides with another change")
        }
    }
}
