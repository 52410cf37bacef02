import MissiveCore

extension LogKey {
    /// The name (never the content) of a spool file.
    static let spoolFile = "missive.spool.file"
    /// The number of files in a print job.
    static let printFiles = "missive.print.files"
    /// A channel partner's status (printed, posted, returned).
    static let partnerStatus = "missive.partner.status"
    /// A letter in a recipient's mailbox.
    static let letterID = "missive.letter.id"
    /// The HTTP status code a partner network answered.
    static let httpStatus = "http.response.status_code"
    /// The eBill network's verdict (accepted, rejected).
    static let eBillAnswer = "missive.ebill.answer"
}
