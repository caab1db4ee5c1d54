/// Decides whether an address is a globally routable unicast address — the only
/// kind a fetch triggered by an untrusted URL may reach.
///
/// The check fails closed: text that does not parse, and every IPv6 range outside
/// the global unicast block `2000::/3`, are not public. Addresses that embed an
/// IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4
/// `2002::/16`, Teredo `2001::/32`) are judged by the IPv4 address they carry.
public enum AddressClassifier {
    /// `true` only for globally routable unicast addresses.
    ///
    /// Accepts textual IPv4 (including the numeric forms `inet_aton` accepts, such
    /// as `2130706433` or `0x7f.1`) and IPv6 (brackets and a `%zone` tolerated).
    /// Anything unparsable is reported as not public.
    public static func isPublic(_ address: String) -> Bool {
        nonPublicReason(address) == nil
    }

    /// `true` only for globally routable unicast addresses.
    public static func isPublic(_ address: IPAddress) -> Bool {
        nonPublicReason(address) == nil
    }

    /// Why `address` is not public ("loopback", "private (RFC 1918)", …), or `nil`
    /// when it is a globally routable unicast address.
    public static func nonPublicReason(_ address: String) -> String? {
        guard let parsed = parse(address) else { return "not a valid IP address" }
        return nonPublicReason(parsed)
    }

    /// Why `address` is not public, or `nil` when it is globally routable unicast.
    public static func nonPublicReason(_ address: IPAddress) -> String? {
        switch address {
        case .v4(let v4):
            return reason(v4: v4)
        case .v6(let high, let low):
            return reason(high: high, low: low)
        }
    }

    static func parse(_ text: String) -> IPAddress? {
        if let strict = IPAddress(text) { return strict }
        if let v4 = IPAddress.parseIPv4Numeric(text) { return .v4(v4) }
        return nil
    }

    // MARK: - IPv4

    /// (network, prefix length, reason), from IANA's special-purpose registry.
    private static let v4Ranges: [(UInt32, Int, String)] = [
        (0x0000_0000, 8, "unspecified (\"this network\", 0.0.0.0/8)"),
        (0x0A00_0000, 8, "private (10.0.0.0/8)"),
        (0x6440_0000, 10, "carrier-grade NAT (100.64.0.0/10)"),
        (0x7F00_0000, 8, "loopback (127.0.0.0/8)"),
        (0xA9FE_A9FE, 32, "the cloud metadata endpoint (169.254.169.254)"),
        (0xA9FE_0000, 16, "link-local (169.254.0.0/16)"),
        (0xAC10_0000, 12, "private (172.16.0.0/12)"),
        (0xC000_0000, 24, "IETF protocol assignments (192.0.0.0/24)"),
        (0xC000_0200, 24, "documentation (192.0.2.0/24)"),
        (0xC058_6300, 24, "6to4 relay anycast (192.88.99.0/24)"),
        (0xC0A8_0000, 16, "private (192.168.0.0/16)"),
        (0xC612_0000, 15, "benchmarking (198.18.0.0/15)"),
        (0xC633_6400, 24, "documentation (198.51.100.0/24)"),
        (0xCB00_7100, 24, "documentation (203.0.113.0/24)"),
        (0xE000_0000, 4, "multicast (224.0.0.0/4)"),
        (0xFFFF_FFFF, 32, "broadcast (255.255.255.255)"),
        (0xF000_0000, 4, "reserved (240.0.0.0/4)"),
    ]

    private static func reason(v4: UInt32) -> String? {
        for (network, length, why) in v4Ranges {
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
            if v4 & mask == network { return why }
        }
        return nil
    }

    // MARK: - IPv6

    private static func reason(high: UInt64, low: UInt64) -> String? {
        let top16 = UInt16(truncatingIfNeeded: high >> 48)
        let embeddedLow32 = UInt32(truncatingIfNeeded: low)

        if high == 0 && low == 0 { return "unspecified (::)" }
        if high == 0 && low == 1 { return "loopback (::1)" }
        // ::ffff:a.b.c.d (IPv4-mapped) — the socket layer connects to a.b.c.d.
        if high == 0, low >> 32 == 0xffff {
            return reason(v4: embeddedLow32).map { "IPv4-mapped \($0)" }
        }
        // ::a.b.c.d (deprecated IPv4-compatible); not routable either way.
        if high == 0, low >> 32 == 0 {
            return "IPv4-compatible IPv6 (::/96)"
        }
        // ::ffff:0:a.b.c.d (SIIT / IPv4-translated).
        if high == 0, low >> 32 == 0xffff_0000 {
            return "IPv4-translated IPv6 (::ffff:0:0:0/96)"
        }
        // NAT64 well-known prefix 64:ff9b::/96 — judged by the IPv4 address it carries.
        if high == 0x0064_ff9b_0000_0000, low >> 32 == 0 {
            return reason(v4: embeddedLow32).map { "NAT64 to \($0)" }
        }
        // 2001:0::/32 Teredo: server IPv4 in bits 32–63, client IPv4 inverted in 96–127.
        if high >> 32 == 0x2001_0000 {
            let server = UInt32(truncatingIfNeeded: high)
            let client = ~embeddedLow32
            if let why = reason(v4: server) ?? reason(v4: client) { return "Teredo embedding \(why)" }
            return nil
        }
        // 2002::/16 6to4 — the IPv4 address sits in bits 16–47.
        if top16 == 0x2002 {
            let embedded = UInt32(truncatingIfNeeded: high >> 16)
            return reason(v4: embedded).map { "6to4 embedding \($0)" }
        }
        // Only 2000::/3 is allocated as global unicast; everything else
        // (fc00::/7 unique-local incl. fd00:ec2::254, fe80::/10 link-local,
        // fec0::/10 site-local, ff00::/8 multicast, 100::/64 discard, 64:ff9b:1::/48
        // local NAT64, …) is not public.
        guard top16 & 0xe000 == 0x2000 else {
            switch top16 {
            case 0xfd00 where high == 0xfd00_0ec2_0000_0000 && low == 0x254:
                return "the cloud metadata endpoint (fd00:ec2::254)"
            case 0xfc00...0xfdff: return "unique-local (fc00::/7)"
            case 0xfe80...0xfebf: return "link-local (fe80::/10)"
            case 0xfec0...0xfeff: return "site-local (fec0::/10)"
            case 0xff00...0xffff: return "multicast (ff00::/8)"
            default: return "not global unicast (outside 2000::/3)"
            }
        }
        // Inside 2000::/3.
        if high >> 32 == 0x2001_0db8 { return "documentation (2001:db8::/32)" }
        if high >> 44 == 0x3fff_0 { return "documentation (3fff::/20)" }
        // 2001::/23 is IETF protocol assignments (ORCHID, AMT, benchmarking 2001:2::/48, …).
        if high >> 41 == 0x2001_0000 >> 9 { return "IETF protocol assignments (2001::/23)" }
        return nil
    }
}
