import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import ProdVisualDomain
import ProdVisualStore

/// Where a node keeps its records and files. Unset URLs mean the embedded default: SQLite and a
/// local folder in the data directory, for one machine with nothing to set up.
public struct StorageConfiguration: Sendable {
    public var dataDirectory = URL(fileURLWithPath: "data")
    /// `postgres://…`: the database several nodes share.
    public var databaseURL: String?
    /// `s3://BUCKET[/prefix]`: the bucket several nodes share.
    public var objectStoreURL: String?
    /// The S3 endpoint (SeaweedFS, MinIO, …); AWS's own for the region when unset.
    public var s3Endpoint: String?
    public var s3Region = "us-east-1"
    public var s3AccessKeyID: String?
    public var s3SecretAccessKey: String?
    /// 64 hex digits every node shares; else the data directory's own `server.key`.
    public var serverSecret: String?

    public init() {}

    public var databasePath: String { dataDirectory.appendingPathComponent("prodvisual.sqlite").path }
}

/// The opened store, object store, request counter and secret, closed together.
public struct Storage: Sendable {
    public let store: any Store
    public let objects: any ObjectStore
    public let rateCounter: any RateCounter
    /// Raw bytes: SymmetricKey itself is not Sendable.
    let secretBytes: [UInt8]
    private let closeAll: @Sendable () async -> Void

    public var secret: SymmetricKey { SymmetricKey(data: secretBytes) }

    public static func open(_ configuration: StorageConfiguration, logger: Logger) async throws -> Storage {
        if configuration.databaseURL != nil, configuration.serverSecret == nil {
            throw ServiceError(
                .serverError,
                "Several nodes on one database must share a secret: set PRODVISUAL_SERVER_SECRET to the same 64 hex digits on each (openssl rand -hex 32).")
        }
        if configuration.databaseURL != nil, configuration.objectStoreURL == nil {
            logger.warning("a shared database with local output folders: outputs are served only by the node that rendered them; set --object-store-url")
        }
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        // The database, the outputs and the secret are the server's alone: whatever mode SQLite or
        // a render gives a file, nobody else gets through the folder.
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: configuration.dataDirectory.path)
        let secret = try configuration.serverSecret.map(ServerSecret.parse(hex:))
            ?? ServerSecret.loadOrCreate(in: configuration.dataDirectory)

        var closers: [@Sendable () async -> Void] = []
        let store: any Store
        let rateCounter: any RateCounter
        if let url = configuration.databaseURL {
            let postgres = try await PostgresStore.connect(url: url, logger: logger)
            closers.append { await postgres.shutdown() }
            store = postgres
            rateCounter = postgres
        } else {
            store = try SQLiteStore(path: configuration.databasePath)
            rateCounter = MemoryRateCounter()
        }
        let objects: any ObjectStore
        if let url = configuration.objectStoreURL {
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
            closers.append { try? await httpClient.shutdown() }
            do {
                objects = try S3ObjectStore(
                    url: url, endpoint: configuration.s3Endpoint, region: configuration.s3Region,
                    accessKeyID: configuration.s3AccessKeyID ?? "", secretAccessKey: configuration.s3SecretAccessKey ?? "",
                    httpClient: httpClient)
            } catch {
                for close in closers { await close() }
                throw error
            }
        } else {
            objects = try LocalFolderObjectStore(root: configuration.dataDirectory)
            // The data directory's layout, as operators know it, from the first start on.
            for folder in ["outputs", "products"] {
                try FileManager.default.createDirectory(
                    at: configuration.dataDirectory.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
        }
        let closing = closers
        return Storage(
            store: store, objects: objects, rateCounter: rateCounter, secretBytes: secret.withUnsafeBytes { Array($0) },
            closeAll: { for close in closing.reversed() { await close() } })
    }

    public func close() async { await closeAll() }
}
