#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator settings that decide how much of what renders free goes back to the system.
/// Its Swift module exports neither `mallopt` nor `malloc_trim`: they are looked up by name, and
/// on other C libraries these do nothing.
public enum ProcessMemory {
    /// glibc gives each thread that allocates an arena of its own, up to eight per core, and
    /// keeps what a render freed in it: resident memory crept after every round of work. Two
    /// arenas serve the renders as well. Call before any thread starts.
    public static func limitArenas() {
        guard let mallopt = function("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self) else { return }
        let arenaMaximum: Int32 = -8  // M_ARENA_MAX in malloc.h
        _ = mallopt(arenaMaximum, 2)
    }

    /// Hands free pages back to the system (a few milliseconds): a render frees hundreds of
    /// megabytes of pixels that would otherwise stay resident until the next one.
    static func returnFreeMemory() {
        _ = mallocTrim?(0)
    }

    private static let mallocTrim = function("malloc_trim", as: (@convention(c) (Int) -> Int32).self)

    private static func function<T>(_ name: String, as type: T.Type) -> T? {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
        #else
        return nil
        #endif
    }
}
