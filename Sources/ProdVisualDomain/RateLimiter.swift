import Foundation
import ProdVisualStore

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
/// `X-RateLimit-Reset` is a stable, predictable timestamp. The counts live in memory for one node,
/// or in the shared database so that several API nodes hold a key to its limits together.
public struct RateLimiter: Sendable {
    private let limits: RateLimits
    private let counter: any RateCounter

    public init(limits: RateLimits, counter: any RateCounter = MemoryRateCounter()) {
        self.limits = limits
        self.counter = counter
    }

    /// Counts one request for `key` at `now` unless a window is full.
    public func consume(key: String, now: Date) async throws -> RateLimitDecision {
        let seconds = Int(now.timeIntervalSince1970)
        let minuteStart = seconds - seconds % 60
        let dayStart = seconds - seconds % 86_400
        let counts = try await counter.countRequest(
            key: key, minuteStart: minuteStart, dayStart: dayStart, perMinute: limits.perMinute, perDay: limits.perDay)
        let minuteLeft = limits.perMinute - counts.minute
        let dayLeft = limits.perDay - counts.day
        // Report the window that binds: the daily one once it is the tighter.
        let dailyBinds = dayLeft < minuteLeft
        let reset = dailyBinds ? dayStart + 86_400 : minuteStart + 60
        return RateLimitDecision(
            allowed: counts.allowed,
            window: dailyBinds ? .day : .minute,
            limit: dailyBinds ? limits.perDay : limits.perMinute,
            remaining: max(0, dailyBinds ? dayLeft : minuteLeft),
            reset: reset,
            retryAfter: max(1, reset - seconds))
    }
}
