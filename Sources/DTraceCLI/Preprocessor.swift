// DTraceCLI/Preprocessor: -C runs the C preprocessor (cpp, or -x cpppath's) over a
// script with DTrace's own definitions (__linux, __SUNW_D, __SUNW_D_64, __amd64...,
// __GNUC__ undefined so system headers take their portable paths) and the -D/-U/-I
// arguments, keeping line markers so diagnostics name the right line. An interpreter
// line (#!) is blanked first: cpp would refuse it.

import DTraceSystem

enum Preprocessor {
    /// DTrace's version as __SUNW_D_VERSION has it: major << 24 | minor << 12 | micro (2.0.0).
    static let versionDefinition = "-D__SUNW_D_VERSION=0x02000000"

    static var definitions: [String] {
        var names = ["-D__linux", "-D__unix", "-D__SVR4", "-D__SUNW_D=1", "-U__GNUC__", "-D__SUNW_D_64", "-D__Linux"]
        #if arch(x86_64)
        names.append("-D__amd64")
        #elseif arch(arm64)
        names.append("-D__aarch64__")
        #endif
        // Diagnostics name lines, not columns, as D's own do.
        return names + [versionDefinition, "-fno-show-column"]
    }

    /// The preprocessed text, or nil when the preprocessor failed (it has said why on
    /// standard error).
    static func run(_ source: String, arguments: [String], program: String = "cpp") -> String? {
        var text = source
        if text.hasPrefix("#!") {
            // Keep the newline so that lines keep their numbers.
            text = String(text.drop { $0 != "\n" })
        }
        // As DTrace runs it: named by its base name, reading the text as /dev/stdin.
        let argv = [String(program.split(separator: "/").last ?? Substring(program))] + definitions + arguments + ["/dev/stdin"]
        guard let result = Subprocess.filter(argv, input: Array(text.utf8), executable: program), result.status == 0 else { return nil }
        return String(decoding: result.output, as: UTF8.self)
    }
}
