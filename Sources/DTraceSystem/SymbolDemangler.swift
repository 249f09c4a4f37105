// DTraceSystem/SymbolDemangler: the one place symbol names are demangled, for the names
// user stacks and usym()/ufunc()/uaddr() print. Swift names ("$s...", "$S...", "_T0...")
// go through the Swift runtime's own swift_demangle (libswiftCore, which dtrace is built
// on); C++ names ("_Z...") through the C++ runtime's __cxa_demangle, looked up with dlsym
// when first needed — libstdc++ is not a link dependency, and without it C++ names stay
// as they are. The unsafe calls and the malloc'd buffers they return stay in this file:
// callers give a name and get the demangled text, or nil when the name is not mangled or
// the runtime refuses it (a name that only looks mangled is shown as it is).

import Glibc

public enum SymbolDemangler {
    /// The demangled form of `name`, or nil when it is neither a Swift nor a C++ mangled
    /// name, or cannot be demangled.
    public static func demangle(_ name: String) -> String? {
        if isSwift(name) { return swift(name) }
        if isCPlusPlus(name) { return cPlusPlus(name) }
        return nil
    }

    /// The prefixes of Swift's mangling: Swift 5 and later ("$s"), 4.2 ("$S"), 4 ("_T0"),
    /// Embedded Swift ("$e"), and the same with the extra underscore of Darwin symbols.
    static func isSwift(_ name: String) -> Bool {
        let bare = name.hasPrefix("_$") ? name.dropFirst() : Substring(name)
        return bare.hasPrefix("$s") || bare.hasPrefix("$S") || bare.hasPrefix("$e") || bare.hasPrefix("_T0")
    }

    /// The Itanium C++ ABI's prefix (GCC and Clang on Linux).
    static func isCPlusPlus(_ name: String) -> Bool {
        name.hasPrefix("_Z") && name.utf8.count > 2
    }

    static func swift(_ name: String) -> String? {
        // Without an output buffer swift_demangle returns one from malloc, or NULL.
        let length = name.utf8.count
        guard let result = name.withCString({ swift_demangle($0, length, nil, nil, 0) }) else { return nil }
        defer { free(result) }
        let text = String(cString: result)
        return text.isEmpty || text == name ? nil : text
    }

    static func cPlusPlus(_ name: String) -> String? {
        guard let demangle = cxaDemangle else { return nil }
        var status: Int32 = 0
        guard let result = name.withCString({ demangle($0, nil, nil, &status) }) else { return nil }
        defer { free(result) }
        guard status == 0 else { return nil }
        let text = String(cString: result)
        return text.isEmpty ? nil : text
    }

    /// `char *__cxa_demangle(const char *mangled, char *buffer, size_t *length, int *status)`.
    typealias CXADemangle = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int32>) -> UnsafeMutablePointer<CChar>?

    /// __cxa_demangle from the C++ runtime already loaded (the Swift runtime loads it), else
    /// from libstdc++ if it is installed; nil when neither has it.
    static let cxaDemangle: CXADemangle? = {
        var symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__cxa_demangle")    // RTLD_DEFAULT
        if symbol == nil, let library = dlopen("libstdc++.so.6", RTLD_LAZY) { symbol = dlsym(library, "__cxa_demangle") }
        return symbol.map { unsafeBitCast($0, to: CXADemangle.self) }
    }()
}

/// `char *swift_demangle(const char *mangledName, size_t mangledNameLength, char *outputBuffer,
/// size_t *outputBufferSize, uint32_t flags)`, exported by the Swift runtime (flags must be 0).
@_silgen_name("swift_demangle")
private func swift_demangle(_ mangledName: UnsafePointer<CChar>, _ mangledNameLength: Int, _ outputBuffer: UnsafeMutablePointer<CChar>?,
                            _ outputBufferSize: UnsafeMutablePointer<Int>?, _ flags: UInt32) -> UnsafeMutablePointer<CChar>?
