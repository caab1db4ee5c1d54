import Dispatch

/// Work started on another thread at once, its result collected later: lets a decode run on the
/// second core while GrabCut runs on the first.
///
/// `@unchecked Sendable`: `outcome` is written once, before the semaphore is signalled, and read
/// only after it has been waited for.
final class Concurrently<Value: Sendable>: @unchecked Sendable {
    private var outcome: Result<Value, ImagingError>?
    private let finished = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () throws(ImagingError) -> Value) {
        DispatchQueue.global(qos: .userInitiated).async {
            self.outcome = Result(catching: work)
            self.finished.signal()
        }
    }

    /// Waits for the work, then returns its value or rethrows its error. Call it once.
    func result() throws(ImagingError) -> Value {
        finished.wait()
        return try outcome!.get()
    }
}
