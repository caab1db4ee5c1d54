import Foundation

/// One node's counts, in memory.
public actor MemoryRateCounter: RateCounter {
    private struct Window {
        var start: Int
        var count: Int
    }

    private var minuteWindows: [String: Window] = [:]
    private var dayWindows: [String: Window] = [:]

    public init() {}

    public func countRequest(key: String, minuteStart: Int, dayStart: Int, perMinute: Int, perDay: Int)
        -> (minute: Int, day: Int, allowed: Bool)
    {
        var minute = minuteWindows[key].flatMap { $0.start == minuteStart ? $0 : nil } ?? Window(start: minuteStart, count: 0)
        var day = dayWindows[key].flatMap { $0.start == dayStart ? $0 : nil } ?? Window(start: dayStart, count: 0)
        let allowed = minute.count < perMinute && day.count < perDay
        if allowed {
            minute.count += 1
            day.count += 1
        }
        minuteWindows[key] = minute
        dayWindows[key] = day
        if minuteWindows.count > 10_000 { prune(minuteStart: minuteStart, dayStart: dayStart) }
        return (minute.count, day.count, allowed)
    }

    /// Drops windows that have ended, so idle keys do not accumulate.
    private func prune(minuteStart: Int, dayStart: Int) {
        minuteWindows = minuteWindows.filter { $0.value.start >= minuteStart }
        dayWindows = dayWindows.filter { $0.value.start >= dayStart }
    }
}
