import Crypto
import Foundation
import MissiveCore

extension FileBlobStore {
    public func read(_ storageKey: String) async throws -> Data {
        try await perform { [self] in try openWithProcessingKey(storageKey).readAll() }
    }

    public func read(_ storageKey: String, chunks body: (Data) async throws -> Void) async throws {
        let reader = try await perform { [self] in try openWithProcessingKey(storageKey) }
        while let chunk = try await perform({ try reader.next() }) {
            try await body(chunk)
        }
    }

    public func wrapKey(of storageKey: String, for recipient: Curve25519.KeyAgreement.PublicKey) async throws -> Data? {
        try await perform { [self] in
            let reader = try StoredBlobReader(url: url(for: storageKey), storageKey: storageKey)
            guard case .sealed(let header) = reader.format else { return nil }
            let documentKey = try unwrapWithProcessingKey(header, storageKey: storageKey)
            return try DocumentKeyWrap(wrapping: documentKey, for: recipient, storageKey: storageKey).bytes
        }
    }

    public func read(_ storageKey: String, wrappedKey: Data, recipientKey: Curve25519.KeyAgreement.PrivateKey) async throws -> Data {
        try await perform { [self] in
            let reader = try StoredBlobReader(url: url(for: storageKey), storageKey: storageKey)
            guard case .sealed = reader.format else {
                throw MissiveError(.unavailable, "A plaintext stored document has no key to open it with.")
            }
            reader.unlock(try DocumentKeyWrap(wrappedKey).unwrap(with: recipientKey, storageKey: storageKey))
            return try reader.readAll()
        }
    }

    /// Opens a blob for reading with the processing key (blocking).
    func openWithProcessingKey(_ storageKey: String) throws -> StoredBlobReader {
        let reader = try StoredBlobReader(url: url(for: storageKey), storageKey: storageKey)
        if case .sealed(let header) = reader.format {
            reader.unlock(try unwrapWithProcessingKey(header, storageKey: storageKey))
        }
        return reader
    }

    /// The document key of a sealed blob, from the wrap in its header.
    func unwrapWithProcessingKey(_ header: SealedBlobHeader, storageKey: String) throws -> SymmetricKey {
        guard header.keyID == processingKey.id else {
            throw MissiveError(.unavailable, "A stored document is sealed for another processing key (id \(Array(header.keyID).hex)).")
        }
        return try header.wrap.unwrap(with: processingKey.privateKey, storageKey: storageKey)
    }
}
