import Crypto
import Foundation
import SwiftASN1

/// A hash algorithm as it appears in CMS and RFC 3161 `AlgorithmIdentifier`s.
///
/// Serialised with parameters absent; parsing accepts absent or NULL parameters.
public enum DigestAlgorithm: Hashable, Sendable {
    /// SHA-256.
    case sha256
    /// SHA-384.
    case sha384
    /// SHA-512.
    case sha512

    var oid: ASN1ObjectIdentifier {
        switch self {
        case .sha256: EvidenceOID.sha256
        case .sha384: EvidenceOID.sha384
        case .sha512: EvidenceOID.sha512
        }
    }

    /// The digest length in bytes.
    public var digestLength: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// Hashes `bytes` with this algorithm.
    public func hash(_ bytes: some DataProtocol) -> [UInt8] {
        switch self {
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha384: Array(SHA384.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        }
    }

    init?(oid: ASN1ObjectIdentifier) {
        switch oid {
        case EvidenceOID.sha256: self = .sha256
        case EvidenceOID.sha384: self = .sha384
        case EvidenceOID.sha512: self = .sha512
        default: return nil
        }
    }
}

/// An `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
struct AlgorithmIdentifierValue: DERImplicitlyTaggable, Hashable, Sendable {
    static var defaultIdentifier: ASN1Identifier { .sequence }

    var algorithm: ASN1ObjectIdentifier
    /// True when parameters were present and were anything other than NULL.
    var hasNonNullParameters: Bool

    init(algorithm: ASN1ObjectIdentifier) {
        self.algorithm = algorithm
        self.hasNonNullParameters = false
    }

    init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let algorithm = try ASN1ObjectIdentifier(derEncoded: &nodes)
            var value = AlgorithmIdentifierValue(algorithm: algorithm)
            if let parameters = nodes.next() {
                value.hasNonNullParameters = parameters.identifier != .null
            }
            return value
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(algorithm)
        }
    }
}
