import Foundation

public struct RateLimits: Sendable, Equatable {
    public var perMinute: Int
    public var perDay: Int

    public init(perMinute: Int = 60, perDay: Int = 10_000) {
        self.perMinute = perMinute
        self.perDay = perDay
    }
}

/// What the rate-limit headers report for one request.
public struct RateLimitDecision: Sendable, Equatable {
    public enum Window: String, Sendable { case minute, day }

    public let allowed: Bool
    /// The window the figures below describe: the one that binds.
    public let window: Window
    public let limit: Int
    public let remaining: Int
    /// Unix time at which the reported window starts afresh.
    public let reset: Int
    /// Seconds to wait before retrying, when refused.
    public let retryAfter: Int
}

/// Per-key fixed windows: one per minute and one per UTC day, aligned to the clock so that
/// `X-RateLimit-Reset` is a stable, predictable timestamp. Kept in memory: one node's counts.
public actor RateLimiter {
    private struct Window {
        var start: Int
        var count: Int
    }

    private let limits: RateLimits
    private var minuteWindows: [String: Window] = [:]
    private var dayWindows: [String: Window] = [:]

    public init(limits: RateLimits) {
        self.limits = limits
    }

    /// Counts one request for `key` at `now` unless a window is full.
    public func consume(key: String, now: Date) -> RateLimitDecision {
        let seconds = Int(now.timeIntervalSince1970)
        let minuteStart = seconds - seconds % 60
        let dayStart = seconds - seconds % 86_400
        var minute = minuteWindows[key].flatMap { $0.start == minuteStart ? $0 : nil } ?? Window(start: minuteStart, count: 0)
        var day = dayWindows[key].flatMap { $0.start == dayStart ? $0 : nil } ?? Window(start: dayStart, count: 0)

        let allowed = minute.count < limits.perMinute && day.count < limits.perDay
        if allowed {
            minute.count += 1
            day.count += 1
        }
        minuteWindows[key] = minute
        dayWindows[key] = day
        if minuteWindows.count > 10_000 { prune(minuteStart: minuteStart, dayStart: dayStart) }

        let minuteLeft = limits.perMinute - minute.count
        let dayLeft = limits.perDay - day.count
        // Report the window that binds: the daily one once it is the tighter.
        let dailyBinds = dayLeft < minuteLeft
        let reset = dailyBinds ? dayStart + 86_400 : minuteStart + 60
        return RateLimitDecision(
            allowed: allowed,
            window: dailyBinds ? .day : .minute,
            limit: dailyBinds ? limits.perDay : limits.perMinute,
            remaining: max(0, dailyBinds ? dayLeft : minuteLeft),
            reset: reset,
            retryAfter: max(1, reset - seconds))
    }

    /// Drops windows that have ended, so idle keys do not accumulate.
    private func prune(minuteStart: Int, dayStart: Int) {
        minuteWindows = minuteWindows.filter { $0.value.start >= minuteStart }
        dayWindows = dayWindows.filter { $0.value.start >= dayStart }
    }
}
