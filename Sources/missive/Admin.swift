import ArgumentParser
import Foundation
import Logging
import MissiveCore
import MissiveSMTP
import MissiveStore

/// Opens the data folder's store for an admin command (safe while a server runs on it).
func openStore(_ data: DataOptions) throws -> SQLiteStore {
    try FileManager.default.createDirectory(atPath: data.dataDirectory, withIntermediateDirectories: true)
    let database = try MissiveDatabase(path: URL(fileURLWithPath: data.dataDirectory).appendingPathComponent("missive.sqlite").path)
    let keyFile = ProcessInfo.processInfo.environment["MISSIVE_SECRETS_KEY_FILE"] ?? SecretsKeyFile.defaultPath(dataDirectory: data.dataDirectory)
    return SQLiteStore(database: database, sealer: try SecretsKeyFile.load(at: keyFile), logger: Logger(label: "missive.admin"))
}

func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// `missive org …`
struct OrganisationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "org", abstract: "Sender organisations.", subcommands: [Create.self, List.self, AddDomain.self])

    struct AddDomain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-domain", abstract: "Record a sender domain the organisation proved it owns (SMTP MAIL FROM).")
        @OptionGroup var data: DataOptions
        @Option(help: "org_… id.") var organisation: String
        @Option(help: "e.g. erp.example.ch") var domain: String
        func run() async throws {
            guard let id = OrganisationID(rawValue: organisation) else { throw ValidationError("Not an organisation id.") }
            guard domain.wholeMatch(of: /[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+/) != nil else { throw ValidationError("Not a domain name.") }
            let store = try openStore(data)
            try await store.addSenderDomain(domain, organisation: id)
            print(try await store.senderDomains(of: id).joined(separator: "\n"))
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a verified organisation and print its first API key (shown once).")
        @OptionGroup var data: DataOptions
        @Option(help: "The organisation's legal name.") var name: String
        @Flag(help: "Mint a live key instead of a test key.") var live = false

        func run() async throws {
            let created = try await openStore(data).createOrganisation(name: name, mode: live ? .live : .test)
            try printJSON(["organisationId": created.organisationID.rawValue, "apiKey": created.apiKey, "keyId": created.keyID.rawValue])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations.")
        @OptionGroup var data: DataOptions
        func run() async throws {
            for (id, name) in try await openStore(data).organisations() { print("\(id)\t\(name)") }
        }
    }
}

/// `missive key …`
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "API keys.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mint another API key for an organisation (shown once).")
        @OptionGroup var data: DataOptions
        @Option(help: "org_… id.") var organisation: String
        @Option(help: "A label.") var name: String?
        @Flag(help: "A live key (default: test).") var live = false
        @Option(name: .customLong("role"), help: "admin, sender, reader or auditor; repeat for several (default: all four).") var roles: [String] = []
        func run() async throws {
            guard let id = OrganisationID(rawValue: organisation) else { throw ValidationError("Not an organisation id.") }
            guard let chosen = Roles(names: roles) else { throw ValidationError("Roles are admin, sender, reader and auditor.") }
            let (keyID, secret) = try await openStore(data).createAPIKey(organisation: id, mode: live ? .live : .test, name: name, roles: roles.isEmpty ? .all : chosen)
            try printJSON(["keyId": keyID.rawValue, "apiKey": secret])
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key (effective within 30 s on running servers).")
        @OptionGroup var data: DataOptions
        @Argument(help: "key_… id.") var key: String
        func run() async throws {
            guard let id = APIKeyID(rawValue: key) else { throw ValidationError("Not a key id.") }
            guard try await openStore(data).revokeAPIKey(id) else { throw ValidationError("No such active key.") }
            print("revoked \(key)")
        }
    }
}

/// `missive user …`: the people of an organisation, for the operator who bootstraps the
/// first admin person (afterwards admins use `/v1/users`).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "People of an organisation and their login.", subcommands: [Invite.self, List.self, Reset.self, Unlock.self])

    static func accounts(_ store: SQLiteStore) -> UserAccounts {
        UserAccounts(store: store, sealer: store.sealer, clock: SystemWallClock())
    }

    static func organisation(_ raw: String) throws -> OrganisationID {
        guard let id = OrganisationID(rawValue: raw) else { throw ValidationError("Not an organisation id.") }
        return id
    }

    static func printInvitation(_ invitation: UserAccounts.Invitation) throws {
        try printJSON([
            "userId": invitation.user.id.rawValue, "email": invitation.user.email, "roles": invitation.user.roles.names,
            "setupToken": invitation.setupToken, "setupExpiresAt": ISO8601DateFormatter().string(from: invitation.expiresAt),
            "next": "POST /v1/user-setup {\"setupToken\", \"password\"}, then POST /v1/user-setup/confirm {\"setupToken\", \"code\"}",
        ])
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invite a person and print their one-time setup token (valid 7 days).")
        @OptionGroup var data: DataOptions
        @Option(help: "org_… id.") var organisation: String
        @Option(help: "The person's email (their login name).") var email: String
        @Option(name: .customLong("role"), help: "admin, sender, reader or auditor; repeat for several.") var roles: [String] = ["admin"]
        func run() async throws {
            guard let chosen = Roles(names: roles), !chosen.isEmpty else { throw ValidationError("Roles are admin, sender, reader and auditor.") }
            try UserCommand.printInvitation(try await UserCommand.accounts(try openStore(data)).invite(email: email, roles: chosen, organisation: try UserCommand.organisation(organisation)))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an organisation's people (no secrets).")
        @OptionGroup var data: DataOptions
        @Option(help: "org_… id.") var organisation: String
        func run() async throws {
            for user in try await openStore(data).users(of: try UserCommand.organisation(organisation)) {
                print("\(user.id.rawValue)  \(user.status.rawValue)  \(user.roles.names.joined(separator: ","))  \(user.email)\(user.failedLogins > 0 ? "  failed logins: \(user.failedLogins)" : "")")
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a person over: new setup token; password, authenticator and sessions end.")
        @OptionGroup var data: DataOptions
        @Option(help: "org_… id.") var organisation: String
        @Argument(help: "usr_… id.") var user: String
        func run() async throws {
            guard let id = UserID(rawValue: user) else { throw ValidationError("Not a user id.") }
            try UserCommand.printInvitation(try await UserCommand.accounts(try openStore(data)).reset(id, organisation: try UserCommand.organisation(organisation)))
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a person's lock after too many failed logins.")
        @OptionGroup var data: DataOptions
        @Option(help: "org_… id.") var organisation: String
        @Argument(help: "usr_… id.") var user: String
        func run() async throws {
            guard let id = UserID(rawValue: user) else { throw ValidationError("Not a user id.") }
            _ = try await openStore(data).unlockUser(id, organisation: try UserCommand.organisation(organisation))
            print("unlocked \(user)")
        }
    }
}

/// `missive directory …`
struct DirectoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "directory", abstract: "The recipient directory and mailboxes.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a recipient; with --mailbox also open a digital mailbox and print its key.")
        @OptionGroup var data: DataOptions
        @Option var name: String
        @Option var street: String
        @Option(name: .customLong("house-number")) var houseNumber: String?
        @Option var postcode: String
        @Option var town: String
        @Option var country = "CH"
        @Option(name: .customLong("epost-address")) var ePostAddress: String?
        @Option var uid: String?
        @Option(name: .customLong("ebill-id")) var eBillID: String?
        @Flag(help: "Open a digital mailbox.") var mailbox = false
        @Flag(help: "The recipient prefers paper.") var physical = false
        @Flag(help: "A business rather than a private person.") var business = false

        func run() async throws {
            let postal = PostalAddress(name: name, street: street, houseNumber: houseNumber, postcode: postcode, town: town, country: country)
            try postal.validate()
            let entry = DirectoryEntry(kind: business ? .business : .private, postal: postal, ePostAddress: ePostAddress, uid: uid, eBillID: eBillID, preference: physical ? .physical : .digital)
            let store = try openStore(data)
            if mailbox {
                let (id, key) = try await store.createMailbox(for: entry)
                try printJSON(["directoryEntryId": entry.id.rawValue, "mailboxId": id.rawValue, "mailboxKey": key])
            } else {
                try await store.upsert(entry)
                try printJSON(["directoryEntryId": entry.id.rawValue])
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List directory entries.")
        @OptionGroup var data: DataOptions
        func run() async throws {
            for entry in try await openStore(data).directoryEntries() {
                print("\(entry.id)\t\(entry.kind.rawValue)\t\(entry.mailboxID.map(\.rawValue) ?? "-")\t\(entry.preference.rawValue)\t\(entry.eBillID ?? "-")")
            }
        }
    }
}

/// `missive alias …`: an organisation's address book (SMTP `<alias>@<hub domain>`).
struct AliasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alias", abstract: "Recipient aliases of an organisation.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Save a recipient under a short name (replaces an alias of that name).")
        @OptionGroup var data: DataOptions
        @Option(help: "org_… id.") var organisation: String
        @Option(help: "Letters, digits, . - _ (e.g. a customer number).") var alias: String
        @Option(help: "The recipient as oneAPI JSON, e.g. '{\"postal\": {…}}'.") var recipient: String
        func run() async throws {
            guard let id = OrganisationID(rawValue: organisation) else { throw ValidationError("Not an organisation id.") }
            guard let parsed = SMTPRecipientJSON.recipient(from: Data(recipient.utf8)) else { throw ValidationError("--recipient is not a recipient JSON object.") }
            try await openStore(data).setAlias(alias, recipient: parsed, organisation: id)
            print("\(alias.lowercased())")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an organisation's aliases.")
        @OptionGroup var data: DataOptions
        @Option(help: "org_… id.") var organisation: String
        func run() async throws {
            guard let id = OrganisationID(rawValue: organisation) else { throw ValidationError("Not an organisation id.") }
            for (alias, recipient) in try await openStore(data).aliases(of: id) {
                let kind = recipient.ePostAddress != nil ? "epost" : recipient.uid != nil ? "uid" : recipient.eBillID != nil ? "ebill" : "postal"
                print("\(alias)\t\(kind)")
            }
        }
    }
}
