import Foundation
import MissiveCore
#if canImport(Glibc)
import Glibc
#endif

extension FileBlobStore {
    /// A temporary file in `root/tmp` for a blob being written (ciphertext only).
    final class SpillFile: @unchecked Sendable {
        let path: String
        private(set) var fd: Int32
        private let store: FileBlobStore

        init(in store: FileBlobStore) throws {
            self.store = store
            path = store.root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString).path
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw store.ioError("create") }
        }

        func append(_ chunks: [Data]) throws {
            for chunk in chunks {
                try chunk.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw store.ioError("write")
                        }
                        offset += written
                    }
                }
            }
        }

        func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }

        func abandon() {
            close()
            unlink(path)
        }

        deinit { close() }
    }
}
