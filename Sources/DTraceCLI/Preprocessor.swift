// DTraceCLI/Preprocessor: -C runs the C preprocessor (cpp) over a script, with the
// -D/-U/-I arguments, keeping line markers so diagnostics name the right line.

import DTraceSystem

enum Preprocessor {
    static func run(_ source: String, arguments: [String]) -> String? {
        let argv = ["cpp", "-undef", "-D__linux__", "-D__SUNW_D=1", "-D__SUNW_D_64"] + arguments
        guard let result = Subprocess.filter(argv, input: Array(source.utf8)), result.status == 0 else { return nil }
        return String(decoding: result.output, as: UTF8.self)
    }
}
