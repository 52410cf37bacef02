import Foundation
import MissiveCore
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the data folder (`missive.lock`), held while the hub runs, so two
/// hubs never share one embedded store. Admin commands do not take it.
final class DataFolderLock: Sendable {
    let fd: Int32

    init(folder: URL) throws {
        let path = folder.appendingPathComponent("missive.lock").path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MissiveError(.unavailable, "Cannot open \(path).") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw MissiveError(.unavailable, "Another Missive hub is running on this data folder.")
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
