import Foundation
import MissiveCore

/// The manifest of a print job, `<envelopeId>.json` in the spool's outbox. It is written
/// after the job's documents, so its presence means the job is complete.
///
/// ```json
/// {"jobId": "env_…", "envelopeId": "env_…", "organisationId": "org_…",
///  "createdAt": "2025-01-31T12:00:00.000Z", "mailClass": "B", "color": false,
///  "duplex": true, "addressPlacement": "left",
///  "address": {"name": "…", "street": "…", "houseNumber": "…", "postcode": "…", "town": "…", "country": "CH"},
///  "documents": [{"file": "env_….pdf", "sha256": "…", "pages": 2}]}
/// ```
public struct PrintManifest: Codable, Sendable, Hashable {
    /// One file of the job, in print order (main document first).
    public struct Document: Codable, Sendable, Hashable {
        /// The file name in the same folder as the manifest.
        public var file: String
        /// Lowercase hex SHA-256 of the file.
        public var sha256: String
        /// The page count, when known.
        public var pages: Int?

        /// Creates a document entry.
        public init(file: String, sha256: String, pages: Int?) {
            self.file = file
            self.sha256 = sha256
            self.pages = pages
        }
    }

    /// The job id (the envelope id: one job per envelope).
    public var jobId: String
    /// The envelope printed.
    public var envelopeId: EnvelopeID
    /// The sending organisation (billed for the letter).
    public var organisationId: OrganisationID
    /// When the envelope was submitted (stable, so a re-written manifest is identical).
    public var createdAt: Date
    /// `A`, `B`, `A_PLUS` or `REGISTERED`.
    public var mailClass: PrintOptions.MailClass
    /// Print in colour (else black and white).
    public var color: Bool
    /// Print on both sides.
    public var duplex: Bool
    /// The window side of the envelope (`left` or `right`).
    public var addressPlacement: PrintOptions.AddressPlacement
    /// The address printed on the letter.
    public var address: PostalAddress
    /// The job's files in print order, main document first.
    public var documents: [Document]

    /// Creates a manifest.
    public init(jobId: String, envelopeId: EnvelopeID, organisationId: OrganisationID, createdAt: Date, mailClass: PrintOptions.MailClass, color: Bool, duplex: Bool, addressPlacement: PrintOptions.AddressPlacement, address: PostalAddress, documents: [Document]) {
        self.jobId = jobId
        self.envelopeId = envelopeId
        self.organisationId = organisationId
        self.createdAt = createdAt
        self.mailClass = mailClass
        self.color = color
        self.duplex = duplex
        self.addressPlacement = addressPlacement
        self.address = address
        self.documents = documents
    }
}
