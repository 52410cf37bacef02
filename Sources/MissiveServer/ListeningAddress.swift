import Synchronization

/// The bound address of the HTTP listener, published once it is known.
final class ListeningAddress: Sendable {
    private let state = Mutex<(String?, [CheckedContinuation<String, Never>])>((nil, []))

    func set(_ url: String) {
        let waiters = state.withLock { state in
            state.0 = url
            defer { state.1 = [] }
            return state.1
        }
        for waiter in waiters { waiter.resume(returning: url) }
    }

    func wait() async -> String {
        await withCheckedContinuation { continuation in
            let url = state.withLock { state -> String? in
                if let url = state.0 { return url }
                state.1.append(continuation)
                return nil
            }
            if let url { continuation.resume(returning: url) }
        }
    }
}
