import SwiftASN1
import X509

/// A verifier policy requiring the leaf to carry Extended Key Usage `timeStamping`
/// (RFC 3161 §2.3); it also marks that critical extension as handled.
struct TimeStampingPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let usage = try? chain.leaf.extensions.extendedKeyUsage, usage.contains(.timeStamping) else {
            return .failsToMeetPolicy(reason: "leaf lacks extended key usage timeStamping")
        }
        return .meetsPolicy
    }
}
