import Foundation

/// How the sender wants the envelope delivered.
public struct ChannelPolicy: Sendable, Hashable, Codable {
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        /// Digital first, physical as fallback.
        case auto
        /// Digital channels only; fails with feedback when not reachable digitally.
        case digitalOnly
        /// Always print.
        case physicalOnly
        /// eBill where the recipient is registered, otherwise as `auto`.
        case eBillPreferred
    }

    public var mode: Mode
    /// Print a copy when the digital letter stays unopened this many days.
    public var printIfNotConsultedAfterDays: Int?
    /// Do not dispatch before this instant.
    public var notBefore: Date?

    public init(mode: Mode = .auto, printIfNotConsultedAfterDays: Int? = nil, notBefore: Date? = nil) {
        self.mode = mode
        self.printIfNotConsultedAfterDays = printIfNotConsultedAfterDays
        self.notBefore = notBefore
    }
}

/// How a physical letter is printed and posted.
public struct PrintOptions: Sendable, Hashable, Codable {
    public enum MailClass: String, Sendable, Hashable, Codable, CaseIterable {
        case a = "A", b = "B", aPlus = "A_PLUS", registered = "REGISTERED"
    }
    public enum AddressPlacement: String, Sendable, Hashable, Codable, CaseIterable {
        case left, right
    }

    public var mailClass: MailClass
    public var color: Bool
    public var duplex: Bool
    public var addressPlacement: AddressPlacement

    public init(mailClass: MailClass = .b, color: Bool = false, duplex: Bool = true, addressPlacement: AddressPlacement = .left) {
        self.mailClass = mailClass
        self.color = color
        self.duplex = duplex
        self.addressPlacement = addressPlacement
    }
}

/// Payment data of an invoice (for eBill and QR-bills).
public struct InvoiceDetails: Sendable, Hashable, Codable {
    /// Decimal amount as written by the sender, e.g. "120.50".
    public var amount: String
    public var currency: String
    public var reference: String?
    public var iban: String?
    /// `YYYY-MM-DD`.
    public var dueDate: String?

    public init(amount: String, currency: String, reference: String? = nil, iban: String? = nil, dueDate: String? = nil) {
        self.amount = amount
        self.currency = currency
        self.reference = reference
        self.iban = iban
        self.dueDate = dueDate
    }
}
