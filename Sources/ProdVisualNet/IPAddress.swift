/// An IPv4 or IPv6 address held as plain integers, with parsers that agree with
/// what the C library would connect to.
///
/// Two IPv4 parsers exist on purpose:
/// - ``init(_:)`` accepts only the textual forms an address *should* take
///   (dotted quad, RFC 4291 IPv6 with optional embedded dotted quad, an optional
///   `%zone` and optional `[` `]`).
/// - ``parseIPv4Numeric(_:)`` accepts everything `inet_aton(3)` (and therefore
///   glibc's `getaddrinfo`) accepts: `2130706433`, `0x7f.1`, `017700000001`,
///   `127.1`, … — the forms attackers use to smuggle `127.0.0.1` past naive filters.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    /// The 128 bits in network order: `high` holds bits 0–63, `low` bits 64–127.
    case v6(high: UInt64, low: UInt64)

    /// Parses a textual address: a strict dotted-quad IPv4 address (decimal,
    /// no leading zeros) or an IPv6 address. Brackets and an IPv6 zone
    /// (`fe80::1%eth0`) are tolerated; the zone is dropped.
    public init?(_ text: some StringProtocol) {
        var s = Substring(text)
        if s.hasPrefix("["), s.hasSuffix("]") {
            s = s.dropFirst().dropLast()
        }
        if let v4 = IPAddress.parseDottedQuad(s) {
            self = .v4(v4)
            return
        }
        if let percent = s.firstIndex(of: "%") {
            // A zone is only meaningful for IPv6; it must be non-empty.
            guard s.index(after: percent) < s.endIndex else { return nil }
            s = s[..<percent]
        }
        guard let (high, low) = IPAddress.parseIPv6(s) else { return nil }
        self = .v6(high: high, low: low)
    }

    /// Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (lower case,
    /// longest run of zero groups compressed, IPv4-mapped shown as `::ffff:a.b.c.d`).
    public var description: String {
        switch self {
        case .v4(let value):
            return IPAddress.formatIPv4(value)
        case .v6(let high, let low):
            return IPAddress.formatIPv6(high: high, low: low)
        }
    }

    /// The form that goes inside a URL authority: IPv6 is bracketed.
    public var urlHost: String {
        switch self {
        case .v4: return description
        case .v6: return "[\(description)]"
        }
    }

    /// The 16 address bytes of an IPv6 address in network order, or the 4 of an IPv4 one.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .v6(let high, let low):
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        }
    }

    /// Builds an address from 4 (IPv4) or 16 (IPv6) network-order bytes.
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            let all = Array(bytes)
            let high = all[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = all[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self = .v6(high: high, low: low)
        default:
            return nil
        }
    }

    // MARK: - IPv4

    /// Strict dotted quad: four decimal parts 0–255, no leading zeros, nothing else.
    static func parseDottedQuad(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            if part.count > 1, part.first == "0" { return nil }
            guard let byte = UInt32(part), byte <= 255 else { return nil }
            value = value << 8 | byte
        }
        return value
    }

    /// Parses an IPv4 address the way `inet_aton(3)` does: one to four parts,
    /// each decimal, octal (leading `0`) or hexadecimal (leading `0x`), the last
    /// part filling all remaining bytes (`a`, `a.b` = 8.24, `a.b.c` = 8.8.16).
    /// Returns `nil` for anything `inet_aton` would refuse.
    public static func parseIPv4Numeric(_ text: some StringProtocol) -> UInt32? {
        let parts = String(text).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            guard let v = parseInetAtonPart(part) else { return nil }
            values.append(v)
        }
        // Every part but the last is one byte; the last fills what is left.
        for v in values.dropLast() where v > 255 { return nil }
        let lastBits = 32 - 8 * (values.count - 1)
        guard let last = values.last, last < (UInt64(1) << lastBits) else { return nil }
        var result: UInt64 = 0
        for (i, v) in values.dropLast().enumerated() {
            result |= v << (24 - 8 * i)
        }
        result |= last
        return UInt32(result)
    }

    private static func parseInetAtonPart(_ part: Substring) -> UInt64? {
        guard !part.isEmpty, part.count <= 34 else { return nil }
        let radix: Int
        var digits = part
        if part.count >= 2, part.first == "0", part.dropFirst().first == "x" || part.dropFirst().first == "X" {
            radix = 16
            digits = part.dropFirst(2)
            // inet_aton accepts a bare "0x" as 0.
            if digits.isEmpty { return 0 }
        } else if part.count >= 2, part.first == "0" {
            radix = 8
            digits = part.dropFirst()
        } else {
            radix = 10
        }
        guard digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        // Saturate instead of overflowing: anything above 32 bits is refused later.
        var value: UInt64 = 0
        for ch in digits {
            guard let d = ch.hexDigitValue, d < radix else { return nil }
            value = min(value * UInt64(radix) + UInt64(d), UInt64(1) << 40)
        }
        return value
    }

    /// True when every dot-separated label looks like a number (`123`, `0x7f`,
    /// `0177`): such a host is an IPv4 literal to the C library, never a DNS name.
    static func looksNumeric(_ host: some StringProtocol) -> Bool {
        let labels = String(host).split(separator: ".", omittingEmptySubsequences: false)
        guard let last = labels.last, !last.isEmpty else { return false }
        // WHATWG: a host whose last label is numeric is an IPv4 address or invalid.
        return isNumericLabel(last)
    }

    private static func isNumericLabel(_ label: Substring) -> Bool {
        if label.count >= 2, label.first == "0", label.dropFirst().first == "x" || label.dropFirst().first == "X" {
            return label.dropFirst(2).allSatisfy { $0.isASCII && $0.isHexDigit }
        }
        return !label.isEmpty && label.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func formatIPv4(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    // MARK: - IPv6

    static func parseIPv6(_ s: Substring) -> (UInt64, UInt64)? {
        guard !s.isEmpty, s.count <= 45 else { return nil }
        var groups: [UInt16] = []
        var compressAt: Int? = nil

        let pieces = s.components(separatedBy: "::")
        guard pieces.count <= 2 else { return nil }

        func parseSide(_ side: Substring, allowTrailingV4: Bool) -> [UInt16]? {
            if side.isEmpty { return [] }
            let fields = side.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt16] = []
            for (i, field) in fields.enumerated() {
                if i == fields.count - 1, allowTrailingV4, field.contains(".") {
                    guard let v4 = parseDottedQuad(field) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xffff))
                    continue
                }
                guard (1...4).contains(field.count), field.allSatisfy({ $0.isASCII && $0.isHexDigit }),
                    let g = UInt16(field, radix: 16)
                else { return nil }
                out.append(g)
            }
            return out
        }

        if pieces.count == 2 {
            guard let head = parseSide(Substring(pieces[0]), allowTrailingV4: false),
                let tail = parseSide(Substring(pieces[1]), allowTrailingV4: true)
            else { return nil }
            // "::" must stand for at least one zero group.
            guard head.count + tail.count <= 7 else { return nil }
            compressAt = head.count
            groups = head + tail
        } else {
            guard let all = parseSide(s, allowTrailingV4: true), all.count == 8 else { return nil }
            groups = all
        }
        if let at = compressAt {
            groups.insert(contentsOf: repeatElement(UInt16(0), count: 8 - groups.count), at: at)
        }
        guard groups.count == 8 else { return nil }
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    static func formatIPv6(high: UInt64, low: UInt64) -> String {
        let groups: [UInt16] = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
        // IPv4-mapped addresses read better with the embedded dotted quad.
        if high == 0, low >> 32 == 0xffff {
            return "::ffff:" + formatIPv4(UInt32(truncatingIfNeeded: low))
        }
        // Longest run (length ≥ 2) of zero groups, first one on ties (RFC 5952 §4.2).
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8, groups[j] == 0 { j += 1 }
                if j - i > bestLength {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestLength >= 2 else { return hex(groups[...]) }
        return hex(groups[0..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }
}

extension StringProtocol {
    fileprivate func components(separatedBy separator: String) -> [Substring] {
        var result: [Substring] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            result.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        result.append(rest)
        return result
    }
}
