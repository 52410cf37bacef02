import ArgumentParser
import Foundation
import Logging
import MissiveServer

/// The `missive` command: run the hub and administer its data folder.
@main
struct Missive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "missive",
        abstract: "Binding digital letters: accept over REST, deliver by ePost, eBill or print, prove every step.",
        subcommands: [Serve.self, Send.self, Verify.self, OrganisationCommand.self, KeyCommand.self, UserCommand.self, DirectoryCommand.self, AliasCommand.self]
    )
}

/// Options shared by commands that open a data folder.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The data folder (env MISSIVE_DATA_DIR).")
    var dataDirectory: String = ProcessInfo.processInfo.environment["MISSIVE_DATA_DIR"] ?? "./missive-data"
}
