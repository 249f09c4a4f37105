// DTraceTextTests/AddressKeyTests: aggregation key slots that hold an address are written
// as inet_ntoa(), inet_ntoa6() and inet_ntop() write it, and slots with one text have one
// canonical form (so the consumer merges them): an IPv4-mapped address keyed through
// inet_ntoa6() is the IPv4 address's key, a literal that is an address's exact text is
// that address's key, and anything else stays as it is.

import DTraceText
import Testing

@Suite struct AddressKeyTests {
    func slot(_ kind: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        var slot = [UInt8](repeating: 0, count: AddressKey.width(longestLiteral: kind == AddressKey.literal ? bytes.count : 0))
        slot[0] = kind
        let offset = kind == AddressKey.ipv4 ? AddressKey.ipv4Offset : kind == AddressKey.literal ? AddressKey.textOffset : AddressKey.ipv6Offset
        slot.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        return slot
    }

    func widened(_ slot: [UInt8], _ width: Int) -> [UInt8] { slot + [UInt8](repeating: 0, count: width - slot.count) }

    func text(_ slot: [UInt8]) -> String { String(decoding: AddressKey.text(slot), as: UTF8.self) }

    static let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]
    static let loopback6: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    static let documentation: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x2a]

    @Test func slotsAreWrittenAsTheSubroutinesWriteThem() {
        #expect(text(slot(AddressKey.ipv4, [192, 168, 0, 255])) == "192.168.0.255")
        #expect(text(slot(AddressKey.ipv6, Self.loopback6)) == "::1")
        #expect(text(slot(AddressKey.ipv6, Self.documentation)) == "2001:db8:0:0:1::2a", "DTrace's zero run: the later of two of one length")
        #expect(text(slot(AddressKey.ipv6, Self.mapped)) == "::ffff:127.0.0.1")
        #expect(text(slot(AddressKey.ipv6EmbeddedAlone, Self.mapped)) == "127.0.0.1")
        #expect(text(slot(AddressKey.literal, Array("<unknown>".utf8))) == "<unknown>")
    }

    @Test func slotsWithOneTextHaveOneForm() {
        let ipv4 = slot(AddressKey.ipv4, [127, 0, 0, 1])
        #expect(AddressKey.canonical(slot(AddressKey.ipv6EmbeddedAlone, Self.mapped)) == ipv4)
        #expect(AddressKey.canonical(slot(AddressKey.literal, Array("127.0.0.1".utf8))) == ipv4)
        #expect(AddressKey.canonical(slot(AddressKey.ipv6EmbeddedAlone, Self.loopback6)) == slot(AddressKey.ipv6, Self.loopback6))
        #expect(AddressKey.canonical(slot(AddressKey.literal, Array("2001:db8:0:0:1::2a".utf8))) == widened(slot(AddressKey.ipv6, Self.documentation), 32))
        #expect(AddressKey.canonical(slot(AddressKey.literal, Array("::ffff:127.0.0.1".utf8))) == widened(slot(AddressKey.ipv6, Self.mapped), 32))
        #expect(AddressKey.canonical(slot(AddressKey.literal, Array("2001:db8::1:0:0:2a".utf8))) == slot(AddressKey.literal, Array("2001:db8::1:0:0:2a".utf8)),
                "not the text DTrace writes for it")
        #expect(AddressKey.canonical(ipv4) == ipv4)
    }

    @Test func textsThatAreNotAnAddressAsWrittenStayLiterals() {
        for literal in ["<unknown>", "127.0.0.01", "1.2.3", "1.2.3.256", "2001:DB8::1", "::0:1", "1::2::3", "", "a:b:c:d:e:f:1:2:3"] {
            let original = slot(AddressKey.literal, Array(literal.utf8))
            #expect(AddressKey.canonical(original) == original, "\(literal)")
            #expect(text(original) == literal)
        }
    }

    @Test func widthsHoldTheLongestLiteral() {
        #expect(AddressKey.width(longestLiteral: 0) == 24)
        #expect(AddressKey.width(longestLiteral: 15) == 24)
        #expect(AddressKey.width(longestLiteral: 16) == 32)
        #expect(AddressKey.width(longestLiteral: 44) == 56)
    }
}
