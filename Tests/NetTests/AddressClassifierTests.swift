import Testing

@testable import ProdVisualNet

@Suite("AddressClassifier")
struct AddressClassifierTests {
    /// Every non-public range, with the addresses on both sides of its boundaries.
    static let ipv4Table: [(String, Bool)] = [
        // unspecified / "this network" 0.0.0.0/8
        ("0.0.0.0", false), ("0.255.255.255", false), ("1.0.0.0", true),
        // private 10/8
        ("9.255.255.255", true), ("10.0.0.0", false), ("10.255.255.255", false), ("11.0.0.0", true),
        // CGNAT 100.64/10
        ("100.63.255.255", true), ("100.64.0.0", false), ("100.127.255.255", false), ("100.128.0.0", true),
        // loopback 127/8
        ("126.255.255.255", true), ("127.0.0.0", false), ("127.0.0.1", false), ("127.255.255.255", false),
        ("128.0.0.0", true),
        // link-local 169.254/16 incl. cloud metadata
        ("169.253.255.255", true), ("169.254.0.0", false), ("169.254.169.254", false),
        ("169.254.255.255", false), ("169.255.0.0", true),
        // private 172.16/12
        ("172.15.255.255", true), ("172.16.0.0", false), ("172.31.255.255", false), ("172.32.0.0", true),
        // 192.0.0/24 IETF protocol assignments, 192.0.2/24 documentation
        ("191.255.255.255", true), ("192.0.0.0", false), ("192.0.0.255", false), ("192.0.1.0", true),
        ("192.0.1.255", true), ("192.0.2.0", false), ("192.0.2.255", false), ("192.0.3.0", true),
        // 6to4 relay anycast 192.88.99/24
        ("192.88.98.255", true), ("192.88.99.1", false), ("192.88.100.0", true),
        // private 192.168/16
        ("192.167.255.255", true), ("192.168.0.0", false), ("192.168.255.255", false), ("192.169.0.0", true),
        // benchmarking 198.18/15
        ("198.17.255.255", true), ("198.18.0.0", false), ("198.19.255.255", false), ("198.20.0.0", true),
        // documentation 198.51.100/24 and 203.0.113/24
        ("198.51.99.255", true), ("198.51.100.0", false), ("198.51.100.255", false), ("198.51.101.0", true),
        ("203.0.112.255", true), ("203.0.113.0", false), ("203.0.113.255", false), ("203.0.114.0", true),
        // multicast 224/4, reserved 240/4, broadcast
        ("223.255.255.255", true), ("224.0.0.0", false), ("239.255.255.255", false),
        ("240.0.0.0", false), ("255.255.255.254", false), ("255.255.255.255", false),
        // ordinary public addresses
        ("8.8.8.8", true), ("1.1.1.1", true), ("93.184.215.14", true),
    ]

    static let ipv6Table: [(String, Bool)] = [
        ("::", false), ("::1", false), ("::2", false),
        // IPv4-mapped: judged by the embedded address
        ("::ffff:127.0.0.1", false), ("::ffff:7f00:1", false), ("::ffff:10.1.2.3", false),
        ("::ffff:169.254.169.254", false), ("::ffff:8.8.8.8", true), ("[::ffff:8.8.8.8]", true),
        // IPv4-compatible (deprecated) and translated
        ("::127.0.0.1", false), ("::8.8.8.8", false), ("::ffff:0:8.8.8.8", false),
        // NAT64 well-known prefix
        ("64:ff9b::127.0.0.1", false), ("64:ff9b::10.0.0.1", false), ("64:ff9b::8.8.8.8", true),
        ("64:ff9b:1::8.8.8.8", false),
        // 6to4 2002::/16 with the IPv4 address in bits 16–47
        ("2002:7f00:1::", false), ("2002:a00:1::1", false), ("2002:c0a8:101::1", false), ("2002:808:808::1", true),
        // Teredo 2001::/32: server 8.8.8.8 (0808:0808), client inverted in the last 32 bits
        ("2001:0:808:808:0:0:f7f7:f7f7", true),  // client 8.8.8.8
        ("2001:0:808:808:0:0:80ff:fffe", false),  // client ~0x80fffffe = 127.0.0.1
        ("2001:0:a00:1:0:0:f7f7:f7f7", false),  // server 10.0.0.1
        // rest of 2001::/23 and documentation
        ("2001:2::1", false), ("2001:1ff:ffff::1", false), ("2001:200::1", true),
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", true), ("2001:db8::", false),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", false), ("2001:db9::", true),
        ("3ffe:ffff::1", true), ("3fff::1", false), ("3fff:fff:ffff::1", false), ("3fff:1000::1", true),
        // unique-local fc00::/7 incl. AWS metadata
        ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false), ("fc00::", false), ("fd12:3456::1", false),
        ("fd00:ec2::254", false), ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        // link-local fe80::/10 (with and without a zone), site-local, multicast
        ("fe7f:ffff::1", false), ("fe80::", false), ("fe80::1%eth0", false), ("febf:ffff::1", false),
        ("fec0::1", false), ("ff00::", false), ("ff02::1", false), ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        // outside 2000::/3
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false), ("4000::1", false), ("100::1", false),
        // global unicast
        ("2000::", true), ("2606:4700:4700::1111", true), ("2a00:1450:4001:81b::200e", true),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
    ]

    @Test("IPv4 ranges, both sides of every boundary", arguments: ipv4Table)
    func ipv4(address: String, expected: Bool) {
        #expect(AddressClassifier.isPublic(address) == expected, "\(address)")
    }

    @Test("IPv6 ranges, embedded IPv4 and boundaries", arguments: ipv6Table)
    func ipv6(address: String, expected: Bool) {
        #expect(AddressClassifier.isPublic(address) == expected, "\(address)")
    }

    @Test("numeric IPv4 forms are classified by the address inet_aton would produce")
    func numericForms() {
        for text in ["2130706433", "0x7f000001", "0x7f.1", "0x7F.0.0.1", "017700000001", "0177.0.0.01", "127.1", "127.0.1"] {
            #expect(IPAddress.parseIPv4Numeric(text) == 0x7f00_0001, "\(text)")
            #expect(!AddressClassifier.isPublic(text), "\(text)")
        }
        #expect(IPAddress.parseIPv4Numeric("0") == 0)
        #expect(IPAddress.parseIPv4Numeric("3232235777") == 0xc0a8_0101)  // 192.168.1.1
        #expect(IPAddress.parseIPv4Numeric("0xa9.0xfe.0xa9.0xfe") == 0xa9fe_a9fe)  // metadata
        #expect(IPAddress.parseIPv4Numeric("134744072") == 0x0808_0808)
        #expect(AddressClassifier.isPublic("134744072"))  // 8.8.8.8 written as one number
        // 0127 is octal 87: 87.0.0.1 is public, exactly as the C library would connect.
        #expect(IPAddress.parseIPv4Numeric("0127.0.0.1") == 0x5700_0001)
        for invalid in ["", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "08.1.1.1", "4294967296", "1..1", "1.2.3.", "0xg", "-1", "1.2.65536"] {
            #expect(IPAddress.parseIPv4Numeric(invalid) == nil, "\(invalid)")
        }
    }

    @Test("garbage is never public")
    func garbage() {
        for text in ["", "localhost", "example.com", "::1::", "12345::", "1:2:3:4:5:6:7:8:9", "[::1", "fe80::1%"] {
            #expect(!AddressClassifier.isPublic(text), "\(text)")
        }
        #expect(AddressClassifier.nonPublicReason("127.0.0.1")?.contains("loopback") == true)
        #expect(AddressClassifier.nonPublicReason("169.254.169.254")?.contains("metadata") == true)
        #expect(AddressClassifier.nonPublicReason("fd00:ec2::254")?.contains("metadata") == true)
        #expect(AddressClassifier.nonPublicReason("8.8.8.8") == nil)
    }

    @Test("IPv6 parsing and RFC 5952 formatting")
    func ipv6Formatting() {
        let cases: [(String, String)] = [
            ("::", "::"), ("::1", "::1"), ("0:0:0:0:0:0:0:1", "::1"), ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"), ("fe80::1%eth0", "fe80::1"),
            ("::ffff:7f00:1", "::ffff:127.0.0.1"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"), ("[2606:4700::1111]", "2606:4700::1111"),
        ]
        for (input, canonical) in cases {
            #expect(IPAddress(input)?.description == canonical, "\(input)")
        }
        for invalid in [":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "::1.2.3", "g::1", "1:2:3:4:5:6:7::8"] {
            #expect(IPAddress(invalid) == nil, "\(invalid)")
        }
        #expect(IPAddress("127.0.0.1") == .v4(0x7f00_0001))
        #expect(IPAddress("127.000.0.1") == nil)  // strict parser refuses leading zeros
        #expect(IPAddress(bytes: [127, 0, 0, 1]) == .v4(0x7f00_0001))
        #expect(IPAddress("::1")?.urlHost == "[::1]")
    }
}
