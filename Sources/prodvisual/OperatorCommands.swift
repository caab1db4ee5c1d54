import ArgumentParser
import Foundation
import ProdVisualDomain
import ProdVisualHTTP
import ProdVisualStore
import Logging

/// Runs an operator command on the accounts of the storage the options name (the store alone:
/// no engine, no network beyond the database).
private func withAccounts<T: Sendable>(_ options: StorageOptions, _ body: (AccountService) async throws -> T) async throws -> T {
    var logger = Logger(label: "prodvisual")
    logger.logLevel = .warning
    let storage = try await Storage.open(options.resolved, logger: logger)
    do {
        let result = try await body(AccountService(store: storage.store, sealer: KeySealer(serverSecret: storage.secret)))
        await storage.close()
        return result
    } catch let error as ServiceError {
        await storage.close()
        throw CommandFailure(error.message)
    } catch {
        await storage.close()
        throw error
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account with a key, or a key on an existing account. The key is the last line printed.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Add the key to this existing account instead of creating one.") var account: String?
        @Option(help: "Opening credits of a new account.") var credits = 0
        @Flag(help: "A sandbox key (pv_test_): free, watermarked output.") var test = false
        @Option(help: "A label for the key.") var name = "cli"

        func run() async throws {
            try await withAccounts(storage) { accounts in
                let accountID: String
                if let account {
                    accountID = account
                } else {
                    let created = try await accounts.createAccount(name: name, credits: credits)
                    print("account \(created.id) created with \(credits) credits")
                    accountID = created.id
                }
                let issued = try await accounts.issueKey(accountID: accountID, mode: test ? .test : .live, name: name)
                print("key \(issued.record.id) (\(issued.record.mode.rawValue)) on \(accountID); shown only once:")
                print(issued.secret)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Only this account's keys.") var account: String?

        func run() async throws {
            try await withAccounts(storage) { accounts in
                for key in try await accounts.keys(accountID: account) {
                    let state = key.revokedAt.map { "revoked \(timestampText($0))" } ?? "active"
                    print("\(key.id)  \(key.accountID)  \(key.mode.rawValue)  …\(key.hint)  \(key.name)  \(state)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The key id (key_...).") var keyID: String

        func run() async throws {
            try await withAccounts(storage) { accounts in
                try await accounts.revokeKey(id: keyID)
                print("revoked \(keyID)")
            }
        }
    }
}

struct CreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits", abstract: "Inspect and top up credit balances.", subcommands: [Add.self, Show.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a purchase of credits.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "The account id (acct_...).") var account: String
        @Argument(help: "How many credits.") var amount: Int

        func run() async throws {
            try await withAccounts(storage) { accounts in
                let balance = try await accounts.addCredits(accountID: account, amount: amount)
                print("\(account): +\(amount), balance \(balance)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an account's balance and usage.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "The account id (acct_...).") var account: String

        func run() async throws {
            try await withAccounts(storage) { accounts in
                let summary = try await accounts.credits(accountID: account)
                print("balance \(summary.balance), used total \(summary.usedTotal), used today \(summary.usedToday)")
            }
        }
    }
}

func timestampText(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt)) }
