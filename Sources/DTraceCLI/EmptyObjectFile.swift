// DTraceCLI/EmptyObjectFile: the object `dtrace -G` writes. The header from
// `dtrace -h` defines everything its probes need, so -G has nothing to contribute; for
// build systems that link the object it names, this is a valid ELF64 relocatable object
// for this machine holding nothing: the null section, an empty .note.GNU-stack (so the
// linker keeps the stack non-executable) and the section-name table. With -x linktype=dof,
// a DOF image with no sections: DTrace's 64-byte header (LP64, little-endian, DOF and DIF
// version 2, eight integer and eight tuple registers) alone.

enum EmptyObjectFile {
    /// This machine's ELF e_machine, or nil where dtrace does not know it.
    static var hostMachine: UInt16? {
        #if arch(x86_64)
        return 62   // EM_X86_64
        #elseif arch(arm64)
        return 183  // EM_AARCH64
        #else
        return nil
        #endif
    }

    /// dof_hdr_t with no sections: ident, flags, header and section-header sizes, no
    /// sections at offset 64, load and file size 64.
    static var emptyDOF: [UInt8] {
        var bytes: [UInt8] = [0x7f, 0x44, 0x4f, 0x46, 2 /* LP64 */, 1 /* LSB */, 2 /* DOF version */, 2 /* DIF version */, 8, 8]
        bytes += [UInt8](repeating: 0, count: 16 - bytes.count)
        append32(0, to: &bytes)             // dofh_flags
        append32(64, to: &bytes)            // dofh_hdrsize
        append32(32, to: &bytes)            // dofh_secsize
        append32(0, to: &bytes)             // dofh_secnum
        append64(64, to: &bytes)            // dofh_secoff
        append64(64, to: &bytes)            // dofh_loadsz
        append64(64, to: &bytes)            // dofh_filesz
        append64(0, to: &bytes)             // dofh_pad
        return bytes
    }

    static let sectionNames: [UInt8] = Array("\0.shstrtab\0.note.GNU-stack\0".utf8)
    static let headerSize = 64
    static let sectionHeaderSize = 64

    /// The object's bytes: ELF header, section names (at 64), three section headers.
    static func bytes(machine: UInt16) -> [UInt8] {
        let namesOffset = headerSize
        let sectionHeadersOffset = (namesOffset + sectionNames.count + 7) & ~7
        var bytes: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */, 0 /* System V */]
        bytes += [UInt8](repeating: 0, count: 8)
        append16(1, to: &bytes)                                   // e_type: ET_REL
        append16(machine, to: &bytes)                             // e_machine
        append32(1, to: &bytes)                                   // e_version
        append64(0, to: &bytes)                                   // e_entry
        append64(0, to: &bytes)                                   // e_phoff
        append64(UInt64(sectionHeadersOffset), to: &bytes)        // e_shoff
        append32(0, to: &bytes)                                   // e_flags
        append16(UInt16(headerSize), to: &bytes)                  // e_ehsize
        append16(0, to: &bytes)                                   // e_phentsize
        append16(0, to: &bytes)                                   // e_phnum
        append16(UInt16(sectionHeaderSize), to: &bytes)           // e_shentsize
        append16(3, to: &bytes)                                   // e_shnum
        append16(2, to: &bytes)                                   // e_shstrndx: .shstrtab
        bytes += sectionNames
        bytes += [UInt8](repeating: 0, count: sectionHeadersOffset - bytes.count)
        bytes += [UInt8](repeating: 0, count: sectionHeaderSize)  // [0] the null section
        appendSection(name: 11, type: 1 /* SHT_PROGBITS */, offset: namesOffset, size: 0, to: &bytes)                  // [1] .note.GNU-stack
        appendSection(name: 1, type: 3 /* SHT_STRTAB */, offset: namesOffset, size: sectionNames.count, to: &bytes)   // [2] .shstrtab
        return bytes
    }

    static func appendSection(name: UInt32, type: UInt32, offset: Int, size: Int, to bytes: inout [UInt8]) {
        append32(name, to: &bytes)              // sh_name
        append32(type, to: &bytes)              // sh_type
        append64(0, to: &bytes)                 // sh_flags
        append64(0, to: &bytes)                 // sh_addr
        append64(UInt64(offset), to: &bytes)    // sh_offset
        append64(UInt64(size), to: &bytes)      // sh_size
        append32(0, to: &bytes)                 // sh_link
        append32(0, to: &bytes)                 // sh_info
        append64(1, to: &bytes)                 // sh_addralign
        append64(0, to: &bytes)                 // sh_entsize
    }

    static func append16(_ value: UInt16, to bytes: inout [UInt8]) { for shift in stride(from: 0, to: 16, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) } }
    static func append32(_ value: UInt32, to bytes: inout [UInt8]) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) } }
    static func append64(_ value: UInt64, to bytes: inout [UInt8]) { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) } }
}
