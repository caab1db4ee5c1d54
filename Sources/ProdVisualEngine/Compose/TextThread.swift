import Foundation

/// The one thread that renders text.
///
/// Pango keeps a font map per thread and frees it when that thread exits, while Pango's own
/// font-matching thread may still be using it: a crash in `g_hash_table_lookup` some time later
/// (libvips #3660). Render threads come and go with the pools that run them, so every text
/// rendering is handed to this thread, which never exits.
///
/// `@unchecked Sendable`: the job list is only touched under `condition`.
final class TextThread: @unchecked Sendable {
    static let shared = TextThread()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
        thread.name = "prodvisual-text"
        thread.start()
    }

    /// Runs `body` on the text thread and waits for its result.
    func run<Value: Sendable>(_ body: @escaping @Sendable () throws(ImagingError) -> Value) throws(ImagingError) -> Value {
        let outcome = Outcome<Value>()
        condition.lock()
        jobs.append { outcome.set(Result(catching: body)) }
        condition.signal()
        condition.unlock()
        return try outcome.wait().get()
    }

    /// A result handed from the text thread back to the caller.
    private final class Outcome<Value: Sendable>: @unchecked Sendable {
        private var result: Result<Value, ImagingError>?
        private let ready = DispatchSemaphore(value: 0)

        func set(_ result: Result<Value, ImagingError>) {
            self.result = result
            ready.signal()
        }

        func wait() -> Result<Value, ImagingError> {
            ready.wait()
            return result!
        }
    }
}
