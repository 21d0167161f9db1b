#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What identifies one version of a file on disk, for change detection.
///
/// geoipupdate writes a new file and renames it over the old one, so the device and inode
/// change; the size and modification time catch in-place rewrites. The status-change time
/// is included because a user cannot set it: a copy that preserves the modification time
/// (`cp -p`) into a recycled inode of the same size still shows up as a change.
struct FileFingerprint: Sendable, Hashable, CustomStringConvertible {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int64
    let modifiedNanoseconds: Int64
    let changedSeconds: Int64
    let changedNanoseconds: Int64

    /// What `stat(2)` says about the file at `path` (symbolic links are followed, so a link
    /// that is re-pointed at a new file counts as a change).
    static func of(path: String) -> Result<FileFingerprint, StatFailure> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .failure(StatFailure(errorNumber: errno))
        }
        return .success(FileFingerprint(info))
    }

    /// Whether `stat(2)` describes a regular file (not a directory, FIFO or device).
    static func isRegularFile(_ info: stat) -> Bool {
        (info.st_mode & S_IFMT) == S_IFREG
    }

    init(_ info: stat) {
        device = UInt64(truncatingIfNeeded: info.st_dev)
        inode = UInt64(truncatingIfNeeded: info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modifiedSeconds = Int64(info.st_mtimespec.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtimespec.tv_nsec)
        changedSeconds = Int64(info.st_ctimespec.tv_sec)
        changedNanoseconds = Int64(info.st_ctimespec.tv_nsec)
        #else
        modifiedSeconds = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
        changedSeconds = Int64(info.st_ctim.tv_sec)
        changedNanoseconds = Int64(info.st_ctim.tv_nsec)
        #endif
    }

    var description: String {
        "inode \(inode), \(size) bytes, modified \(modifiedSeconds).\(modifiedNanoseconds)"
    }
}

/// A failed `stat(2)`, kept as the `errno` it set.
struct StatFailure: Error, Sendable, Hashable {
    let errorNumber: Int32

    /// The C library's wording of the error (`No such file or directory`).
    var reason: String {
        String(cString: strerror(errorNumber))
    }

    /// Turns the failure into the module's error, naming the file.
    func geoIPError(path: String) -> GeoIPError {
        let code: GeoIPError.Code =
            switch errorNumber {
            case ENOENT, ENOTDIR: .fileNotFound
            case EACCES, EPERM: .permissionDenied
            default: .fileUnreadable
            }
        return GeoIPError(code: code, message: "cannot open GeoIP database '\(path)': \(reason)", path: path)
    }
}
