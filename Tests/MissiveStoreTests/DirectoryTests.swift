import Foundation
import GRDB
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore recipient directory")
struct DirectoryTests {
    static let anna = DirectoryEntry(
        kind: .private, postal: PostalAddress(name: "Anna Müller", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich"),
        ePostAddress: "Anna.Mueller@ePost.example", mailboxID: .generate()
    )
    static let company = DirectoryEntry(
        kind: .business, postal: PostalAddress(name: "Beispiel AG", street: "Seestrasse 7", postcode: "8002", town: "Zürich"),
        uid: "CHE-123.456.789", eBillID: "41100000000000017", preference: .physical
    )
    static let hansSenior = DirectoryEntry(kind: .private, postal: PostalAddress(name: "Hans Meier", street: "Dorfweg", houseNumber: "3", postcode: "3000", town: "Bern"))
    static let hansJunior = DirectoryEntry(kind: .private, postal: PostalAddress(name: "hans meier", street: "Dorfweg", houseNumber: "3", postcode: "3000", town: "Bern"), ePostAddress: "hans@epost.example")
    static let branchOne = DirectoryEntry(kind: .business, postal: nil, uid: "CHE-999.999.999")
    static let branchTwo = DirectoryEntry(kind: .business, postal: nil, uid: "CHE-999.999.999")

    /// The entry as the store gives it back (addresses are kept lowercase).
    static func stored(_ entry: DirectoryEntry) -> DirectoryEntry {
        var entry = entry
        entry.ePostAddress = entry.ePostAddress?.lowercased()
        return entry
    }

    func withDirectory(_ body: (SQLiteStore) async throws -> Void) async throws {
        try await withStore { store in
            for entry in [Self.anna, Self.company, Self.hansSenior, Self.hansJunior, Self.branchOne, Self.branchTwo] {
                try await store.upsert(entry)
            }
            try await body(store)
        }
    }

    @Test("resolves by ePost address regardless of case")
    func byEPostAddress() async throws {
        try await withDirectory { store throws in
            #expect(try await store.resolve(Recipient(ePostAddress: "anna.mueller@EPOST.EXAMPLE")) == .found(Self.stored(Self.anna)))
            #expect(try await store.resolve(Recipient(ePostAddress: "Anna.Mueller@ePost.example")) == .found(Self.stored(Self.anna)))
        }
    }

    @Test("resolves by UID and by eBill id")
    func byUIDAndEBill() async throws {
        try await withDirectory { store throws in
            #expect(try await store.resolve(Recipient(uid: "CHE-123.456.789")) == .found(Self.company))
            #expect(try await store.resolve(Recipient(eBillID: "41100000000000017")) == .found(Self.company))
        }
    }

    @Test("resolves a postal address written differently", arguments: [
        PostalAddress(name: "Anna Müller", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich"),
        PostalAddress(name: "ANNA MULLER", street: "Bahnhofstr.", houseNumber: "1", postcode: "8001", town: "Zurich"),
        PostalAddress(name: "anna müller", street: "Bahnhofstraße", houseNumber: " 1 ", postcode: "8001", town: "ZÜRICH"),
        PostalAddress(name: "Anna  Müller", street: "Bahnhof-Strasse", houseNumber: "1", postcode: "8001", town: "Zürich"),
    ])
    func byPostalAddress(_ written: PostalAddress) async throws {
        try await withDirectory { store throws in
            #expect(try await store.resolve(Recipient(postal: written)) == .found(Self.stored(Self.anna)))
        }
    }

    @Test("resolves a street with its number written in one field, abbreviated or not", arguments: ["Seestr. 7", "SEESTRASSE 7", "Seestraße 7"])
    func byStreetWithNumber(_ street: String) async throws {
        try await withDirectory { store throws in
            let written = PostalAddress(name: "Beispiel AG", street: street, postcode: "8002", town: "Zurich")
            #expect(try await store.resolve(Recipient(postal: written)) == .found(Self.company))
        }
    }

    @Test("several entries for the same address or UID answer multiple")
    func multiple() async throws {
        try await withDirectory { store throws in
            let written = PostalAddress(name: "HANS MEIER", street: "Dorfweg", houseNumber: "3", postcode: "3000", town: "Bern")
            #expect(try await store.resolve(Recipient(postal: written)) == .multiple(2))
            #expect(try await store.resolve(Recipient(uid: "CHE-999.999.999")) == .multiple(2))
            // A unique ePost address wins over an ambiguous postal address.
            #expect(try await store.resolve(Recipient(ePostAddress: "hans@epost.example", postal: written)) == .found(Self.stored(Self.hansJunior)))
        }
    }

    @Test("unknown recipients are not found; an unknown address falls through to the next field")
    func notFound() async throws {
        try await withDirectory { store throws in
            let nowhere = PostalAddress(name: "Anna Müller", street: "Bahnhofstrasse", houseNumber: "2", postcode: "8001", town: "Zürich")
            #expect(try await store.resolve(Recipient(postal: nowhere)) == .notFound)
            #expect(try await store.resolve(Recipient(ePostAddress: "nobody@epost.example")) == .notFound)
            #expect(try await store.resolve(Recipient(uid: "CHE-000.000.000", eBillID: "41100000000000099")) == .notFound)
            #expect(try await store.resolve(Recipient(ePostAddress: "nobody@epost.example", postal: Self.anna.postal)) == .found(Self.stored(Self.anna)))
        }
    }

    @Test("a missing house number finds the one entry of that name on the street, never one of several")
    func withoutHouseNumber() async throws {
        try await withDirectory { store throws in
            // Anna is alone on Bahnhofstrasse: found without a number, or with the number in the street.
            let annaWithoutNumber = PostalAddress(name: "Müller Anna", street: "Bahnhofstr.", postcode: "8001", town: "Zurich")
            #expect(try await store.resolve(Recipient(postal: annaWithoutNumber)) == .found(Self.stored(Self.anna)))
            // Beispiel AG's entry has no separate number field ("Seestrasse 7"): a query with one finds it,
            // a query with another number does not.
            #expect(try await store.resolve(Recipient(postal: PostalAddress(name: "Beispiel AG", street: "Seestrasse", houseNumber: "7", postcode: "8002", town: "Zürich"))) == .found(Self.company))
            #expect(try await store.resolve(Recipient(postal: PostalAddress(name: "Beispiel AG", street: "Seestrasse", postcode: "8002", town: "Zürich"))) == .found(Self.company))
            #expect(try await store.resolve(Recipient(postal: PostalAddress(name: "Beispiel AG", street: "Seestrasse", houseNumber: "9", postcode: "8002", town: "Zürich"))) == .notFound)
            // Two Hans Meier on Dorfweg: a query without number is multiple, never a guess.
            let hansWithoutNumber = PostalAddress(name: "Meier Hans", street: "Dorfweg", postcode: "3000", town: "Bern")
            #expect(try await store.resolve(Recipient(postal: hansWithoutNumber)) == .multiple(2))
            // Someone else on the street is not found.
            #expect(try await store.resolve(Recipient(postal: PostalAddress(name: "Eva Meier", street: "Dorfweg", postcode: "3000", town: "Bern"))) == .notFound)
        }
    }

    @Test("a batch resolves each recipient in order, in one read")
    func batch() async throws {
        try await withDirectory { store throws in
            let answers = try await store.resolve([
                Recipient(ePostAddress: "anna.mueller@epost.example"), Recipient(uid: "CHE-999.999.999"),
                Recipient(ePostAddress: "nobody@epost.example"), Recipient(uid: "CHE-123.456.789"),
            ])
            #expect(answers == [.found(Self.stored(Self.anna)), .multiple(2), .notFound, .found(Self.company)])
            #expect(try await store.resolve([Recipient]()) == [])
        }
    }

    @Test("the v12 migration recomputes the keys of entries stored before it")
    func migrationRecomputesKeys() async throws {
        try await withStore { store in
            try await store.upsert(Self.anna)
            // As an older version stored it: the name's words run together, no street key.
            try await store.write { db in
                try db.execute(sql: "UPDATE directory_entries SET match_key = 'CH|8001|bahnhofstrasse1|annamuller', street_key = NULL")
            }
            #expect(try await store.resolve(Recipient(postal: PostalAddress(name: "Muller Anna", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich"))) == .notFound)
            try await store.write { db in
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v12-directory-keys'")
                try db.execute(sql: "DROP INDEX directory_by_street_key")
                try db.execute(sql: "ALTER TABLE directory_entries DROP COLUMN street_key")
            }
            try MissiveDatabase.migrator.migrate(store.database.pool)
            #expect(try await store.resolve(Recipient(postal: PostalAddress(name: "Muller Anna", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich"))) == .found(Self.stored(Self.anna)))
            #expect(try await store.resolve(Recipient(postal: PostalAddress(name: "Anna Müller", street: "Bahnhofstrasse", postcode: "8001", town: "Zürich"))) == .found(Self.stored(Self.anna)))
        }
    }

    @Test("entries are found by mailbox, listed, replaced by id and change preference")
    func entryMaintenance() async throws {
        try await withDirectory { store throws in
            let mailbox = try #require(Self.anna.mailboxID)
            #expect(try await store.entry(forMailbox: mailbox) == Self.stored(Self.anna))
            #expect(try await store.entry(forMailbox: .generate()) == nil)
            #expect(try await store.directoryEntries().count == 6)

            try await store.setPreference(.physical, for: Self.anna.id)
            #expect(try await store.entry(forMailbox: mailbox)?.preference == .physical)

            var moved = Self.stored(Self.anna)
            moved.postal?.street = "Seestrasse"
            moved.verified = false
            try await store.upsert(moved)
            #expect(try await store.directoryEntries().count == 6)
            #expect(try await store.entry(forMailbox: mailbox) == moved)
            #expect(try await store.resolve(Recipient(postal: Self.anna.postal)) == .notFound)
        }
    }

    /// `epost_address` and `mailbox_id` are UNIQUE: a different entry reusing either is refused
    /// with `conflict`, and the entry that has it stays as it was.
    @Test("a new entry reusing an ePost address or mailbox is refused and does not delete the entry that has it")
    func upsertCollision() async throws {
        try await withStore { store in
            let anna = DirectoryEntry(kind: .private, postal: nil, ePostAddress: "anna@epost.example", mailboxID: .generate())
            try await store.upsert(anna)
            let mailbox = try #require(anna.mailboxID)

            let sameAddress = DirectoryEntry(kind: .private, postal: nil, ePostAddress: "ANNA@epost.example")
            await expectMissiveError(.conflict) { try await store.upsert(sameAddress) }
            let sameMailbox = DirectoryEntry(kind: .business, postal: nil, ePostAddress: "firma@epost.example", mailboxID: mailbox)
            await expectMissiveError(.conflict) { try await store.upsert(sameMailbox) }

            // An existing entry cannot take the address by an update either.
            let beat = DirectoryEntry(kind: .private, postal: nil, ePostAddress: "beat@epost.example", mailboxID: .generate())
            try await store.upsert(beat)
            var taking = beat
            taking.ePostAddress = "anna@epost.example"
            await expectMissiveError(.conflict) { try await store.upsert(taking) }

            #expect(try await store.entry(forMailbox: mailbox) == anna)
            #expect(try await store.entry(forMailbox: try #require(beat.mailboxID)) == beat)
            let ids = Set(try await store.directoryEntries().map(\.id))
            #expect(ids == [anna.id, beat.id])

            // Updating the owner itself by id is not a collision.
            var renamed = anna
            renamed.preference = .physical
            try await store.upsert(renamed)
            #expect(try await store.entry(forMailbox: mailbox) == renamed)
        }
    }
}
