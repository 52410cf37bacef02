import Testing

/// The building blocks of people's logins (issue 6, part 3). Every suite of this folder
/// nests here, so `swift test --filter Identity` runs them all.
@Suite("Identity")
enum IdentityTests {}
