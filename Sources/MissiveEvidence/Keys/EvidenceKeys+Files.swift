import Crypto
import Foundation
import SwiftASN1
import X509

extension EvidenceKeys {
    /// The file names used by ``write(to:)`` and ``load(from:)``.
    public enum FileName {
        /// Root CA certificate (PEM).
        public static let root = "root.pem"
        /// Root CA private key (PKCS#8 PEM, mode 0600).
        public static let rootKey = "root-key.pem"
        /// Seal certificate (PEM).
        public static let seal = "seal.pem"
        /// Seal private key (PKCS#8 PEM, mode 0600).
        public static let sealKey = "seal-key.pem"
        /// TSA certificate (PEM).
        public static let timeStamping = "tsa.pem"
        /// TSA private key (PKCS#8 PEM, mode 0600).
        public static let timeStampingKey = "tsa-key.pem"
    }

    /// Writes certificates and PKCS#8 keys as PEM files into `folder` (created if needed).
    ///
    /// Key files are created with mode 0600.
    public func write(to folder: URL) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
            let certificates = [(FileName.root, root), (FileName.seal, seal), (FileName.timeStamping, timeStamping)]
            for (name, certificate) in certificates {
                let pem = try certificate.serializeAsPEM().pemString + "\n"
                try Data(pem.utf8).write(to: folder.appendingPathComponent(name), options: .atomic)
            }
            let keys = [(FileName.rootKey, rootKey), (FileName.sealKey, sealKey), (FileName.timeStampingKey, timeStampingKey)]
            for (name, key) in keys {
                let path = folder.appendingPathComponent(name).path
                _ = manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
                try Data((key.pemRepresentation + "\n").utf8).write(to: URL(fileURLWithPath: path))
            }
        } catch {
            throw EvidenceError(.fileSystem, "could not write evidence key files")
        }
    }

    /// Loads the PKI written by ``write(to:)`` and checks that each key matches its certificate.
    public static func load(from folder: URL) throws -> EvidenceKeys {
        func text(_ name: String) throws -> String {
            do {
                return try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            } catch {
                throw EvidenceError(.fileSystem, "could not read an evidence key file")
            }
        }
        do {
            let keys = EvidenceKeys(
                root: try Certificate(pemEncoded: text(FileName.root)),
                seal: try Certificate(pemEncoded: text(FileName.seal)),
                timeStamping: try Certificate(pemEncoded: text(FileName.timeStamping)),
                rootKey: try P256.Signing.PrivateKey(pemRepresentation: text(FileName.rootKey)),
                sealKey: try P256.Signing.PrivateKey(pemRepresentation: text(FileName.sealKey)),
                timeStampingKey: try P256.Signing.PrivateKey(pemRepresentation: text(FileName.timeStampingKey))
            )
            guard keys.root.publicKey == Certificate.PublicKey(keys.rootKey.publicKey),
                keys.seal.publicKey == Certificate.PublicKey(keys.sealKey.publicKey),
                keys.timeStamping.publicKey == Certificate.PublicKey(keys.timeStampingKey.publicKey)
            else {
                throw EvidenceError(.keyMaterial, "a key does not match its certificate")
            }
            return keys
        } catch let error as EvidenceError {
            throw error
        } catch {
            throw EvidenceError(.keyMaterial, "evidence key files are not valid PEM")
        }
    }
}
