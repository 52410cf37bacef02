import Foundation
import MissiveCore

extension SOAPEndpoint {
    /// HTTP Basic or a WS-Security UsernameToken: the username is the organisation id, the
    /// password its API key (PasswordText; only over TLS in production).
    func authenticate(basic: (String, String)?, token: SOAPRequestReader.UsernameToken?) async throws -> (OrganisationID, APIKeyID, Mode) {
        let username: String
        let password: String
        if let token, !token.username.isEmpty {
            guard !token.isDigest else {
                throw SOAPFault(.client, "PasswordDigest is not supported yet: API keys are stored only as hashes. Use PasswordText over TLS or HTTP Basic.", code: "unauthenticated")
            }
            (username, password) = (token.username.trimmingCharacters(in: .whitespacesAndNewlines), token.password.trimmingCharacters(in: .whitespacesAndNewlines))
        } else if let basic {
            (username, password) = basic
        } else {
            throw SOAPFault(.client, "Authenticate with a WS-Security UsernameToken or HTTP Basic (organisation id and API key).", code: "unauthenticated")
        }
        guard let principal = try await postOffice.ports.credentials.principal(forSecretHash: BearerSecret.hash(password)),
              case .organisation(let organisation, let key, let mode) = principal, organisation.rawValue == username
        else {
            throw SOAPFault(.client, "The organisation id or API key is wrong.", code: "unauthenticated")
        }
        return (organisation, key, mode)
    }
}
