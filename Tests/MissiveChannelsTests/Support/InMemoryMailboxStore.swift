import Crypto
import Foundation
import MissiveCore
import Synchronization

/// A fake mailbox store: one letter per envelope (a repeat returns the first), as the port
/// promises.
final class InMemoryMailboxStore: MailboxStore {
    private let letters = Mutex<[EnvelopeID: MailboxLetter]>([:])
    private let names: [OrganisationID: String]
    private let keys = Mutex<[MailboxID: Curve25519.KeyAgreement.PrivateKey]>([:])

    init(names: [OrganisationID: String] = [:]) {
        self.names = names
    }

    /// Every letter placed so far.
    var all: [MailboxLetter] { letters.withLock { Array($0.values) } }

    func deliver(_ letter: MailboxLetter) async throws -> MailboxLetter {
        letters.withLock { letters in
            if let existing = letters[letter.envelopeID] { return existing }
            letters[letter.envelopeID] = letter
            return letter
        }
    }

    func letters(in mailbox: MailboxID, unreadOnly: Bool, after cursor: LetterID?, limit: Int) async throws -> [MailboxLetter] {
        let mine = all.filter { $0.mailboxID == mailbox && (!unreadOnly || $0.consultedAt == nil) }
        return Array(mine.sorted { $0.id > $1.id }.filter { cursor == nil || $0.id < cursor! }.prefix(limit))
    }

    func letter(_ id: LetterID, in mailbox: MailboxID) async throws -> MailboxLetter? {
        all.first { $0.id == id && $0.mailboxID == mailbox }
    }

    func markConsulted(_ id: LetterID, at: Date) async throws -> Bool {
        letters.withLock { letters in
            guard let key = letters.first(where: { $0.value.id == id })?.key, letters[key]?.consultedAt == nil else { return false }
            letters[key]?.consultedAt = at
            return true
        }
    }

    func organisationName(_ id: OrganisationID) async throws -> String? {
        names[id]
    }

    func encryptionKey(for mailbox: MailboxID) async throws -> Curve25519.KeyAgreement.PublicKey {
        keys.withLock { keys in
            if let key = keys[mailbox] { return key.publicKey }
            let key = Curve25519.KeyAgreement.PrivateKey()
            keys[mailbox] = key
            return key.publicKey
        }
    }

    func decryptionKey(for mailbox: MailboxID) async throws -> Curve25519.KeyAgreement.PrivateKey? {
        keys.withLock { $0[mailbox] }
    }
}
