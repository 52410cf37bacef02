#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open files. Every HTTP connection and SMTP session holds one
/// descriptor, so the hub raises its soft limit to the hard one at start (as Go's runtime
/// and nginx's `worker_rlimit_nofile` do): a soft limit of 1,024 - systemd's default -
/// would otherwise let a thousand idle clients stop the hub accepting new ones.
enum OpenFileLimit {
    #if canImport(Glibc)
    private static let resource = Int32(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif

    /// Raises the soft limit to the hard limit; returns the soft limit now in force, or nil
    /// if it cannot be read.
    @discardableResult
    static func raiseToHard() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return UInt64(limit.rlim_cur)
    }
}
