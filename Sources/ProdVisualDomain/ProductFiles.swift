import Foundation
import ProdVisualStore

/// Source photos of products and try-on inputs, kept in the object store so that generation never
/// fetches them again, on whichever node it runs. One folder per product or task, under names
/// the service chooses.
public struct ProductFiles: Sendable {
    let objects: any ObjectStore

    public init(objects: any ObjectStore) {
        self.objects = objects
    }

    /// Stores a source photo and returns its path relative to the folder of products.
    public func write(_ bytes: [UInt8], product: String, name: String) async throws -> String {
        guard OutputStorage.isSafeFileName(product), OutputStorage.isSafeFileName(name) else {
            throw ServiceError(.serverError, "Unsafe product file name.")
        }
        do {
            try await objects.put(bytes, key: "products/\(product)/\(name)", contentType: OutputStorage.contentType(of: name))
        } catch let error as ObjectStoreError {
            throw ServiceError(.serverError, "Cannot store the product photo: \(error).")
        }
        return "\(product)/\(name)"
    }

    public func read(_ relativePath: String) async throws -> [UInt8] {
        let parts = relativePath.split(separator: "/").map(String.init)
        guard parts.count == 2, parts.allSatisfy(OutputStorage.isSafeFileName) else {
            throw ServiceError(.serverError, "Unsafe product file path.")
        }
        guard let bytes = try await objects.get(key: "products/\(relativePath)") else {
            throw ServiceError(.serverError, "The stored photo \(relativePath) is missing.")
        }
        return bytes
    }

    /// Removes a product's folder (a creation that failed half-way).
    public func delete(product: String) async {
        guard OutputStorage.isSafeFileName(product) else { return }
        try? await objects.deleteAll(under: "products/\(product)")
    }
}
