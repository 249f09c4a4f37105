// swift-tools-version:6.0
// dtrace(1) for Linux, in Swift. See docs/ARCHITECTURE.md for the module map.
import PackageDescription

let package = Package(
    name: "dtrace",
    products: [
        .executable(name: "dtrace", targets: ["dtrace"]),
    ],
    targets: [
        .target(name: "CLinux"),
        .target(name: "DTraceText"),
        .target(name: "DTraceX86"),
        .target(name: "DTraceSystem", dependencies: ["CLinux", "DTraceText"]),
        .target(name: "DTraceIR"),
        .target(name: "DTraceBPF", dependencies: ["DTraceSystem"]),
        .target(name: "DTraceELF", dependencies: ["DTraceSystem"]),
        .target(name: "DTracePtrace", dependencies: ["DTraceSystem", "DTraceELF", "DTraceX86"]),
        .target(name: "DTraceCodegen", dependencies: ["DTraceIR", "DTraceBPF"]),
        .target(name: "DTraceLanguage", dependencies: ["DTraceIR", "DTraceText"]),
        .target(name: "DTracePlatform", dependencies: ["DTraceSystem", "DTraceText"]),
        .target(name: "DTraceProviders", dependencies: ["DTraceIR", "DTraceLanguage", "DTraceSystem", "DTraceBPF", "DTraceCodegen", "DTracePlatform", "DTraceELF", "DTraceX86"]),
        .target(name: "DTraceLibrary", dependencies: ["DTraceIR", "DTraceLanguage", "DTraceCodegen", "DTraceBPF", "DTraceConsumer", "DTraceSystem", "DTraceText"]),
        .target(name: "DTraceConsumer", dependencies: ["DTraceIR", "DTraceLanguage", "DTraceSystem", "DTraceELF", "DTraceText"]),
        .target(name: "DTraceSession", dependencies: ["DTraceLibrary", "DTraceProviders", "DTraceConsumer", "DTraceIR", "DTraceLanguage", "DTraceSystem", "DTraceBPF", "DTraceCodegen", "DTracePlatform", "DTracePtrace", "DTraceELF"]),
        .target(name: "DTraceCLI", dependencies: ["DTraceSession", "DTraceProviders", "DTraceConsumer", "DTraceLanguage", "DTraceIR", "DTraceSystem", "DTracePlatform"]),
        // Release builds carry the Swift runtime inside: no shared Swift libraries to
        // load makes start-up about 1.5 ms faster, and the binary runs on a bare system.
        .executableTarget(name: "dtrace", dependencies: ["DTraceCLI"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]),
        // Counts a function's breakpoint hits in a command under DTracePtrace (the ptrace
        // tests run it as an unprivileged user; it also measures the cost of a hit).
        .executableTarget(name: "count-breakpoint-hits", dependencies: ["DTracePtrace", "DTraceELF", "DTraceX86", "DTraceSystem"]),
        // Counts a command's stops at chosen system calls under DTracePtrace, released from
        // dtrace -c's gate with the seccomp filter or traced with PTRACE_SYSCALL (the ptrace
        // tests run it as an unprivileged user; bench/seccomp.sh compares the costs).
        .executableTarget(name: "count-seccomp-stops", dependencies: ["DTracePtrace", "DTraceSystem"]),
        // Traces a running process (-p) with a breakpoint under a guardian, so the ptrace
        // tests can SIGKILL it mid-trace and check that the process runs on unharmed.
        .executableTarget(name: "guardian-demo", dependencies: ["DTracePtrace", "DTraceELF", "DTraceX86", "DTraceSystem"]),
        .testTarget(name: "DTraceTextTests", dependencies: ["DTraceText"]),
        .testTarget(name: "DTraceX86Tests", dependencies: ["DTraceX86"]),
        .testTarget(name: "DTraceBPFTests", dependencies: ["DTraceBPF", "DTraceSystem"]),
        .testTarget(name: "DTraceSystemTests", dependencies: ["DTraceSystem"]),
        .testTarget(name: "DTraceELFTests", dependencies: ["DTraceELF", "DTraceSystem"]),
        .testTarget(name: "DTracePtraceTests", dependencies: ["DTracePtrace", "DTraceELF", "DTraceX86", "DTraceSystem", "count-breakpoint-hits", "count-seccomp-stops", "guardian-demo"]),
        .testTarget(name: "DTraceIRTests", dependencies: ["DTraceIR"]),
        .testTarget(name: "DTraceLanguageTests", dependencies: ["DTraceLanguage", "DTraceLibrary"], exclude: ["Golden"]),
        .testTarget(name: "DTraceCodegenTests", dependencies: ["DTraceLibrary", "DTraceCodegen", "DTraceBPF", "DTraceIR", "DTraceLanguage"]),
        .testTarget(name: "DTraceProvidersTests", dependencies: ["DTraceProviders", "DTraceELF", "DTraceLibrary", "DTraceCodegen", "DTraceBPF", "DTraceIR", "DTraceLanguage", "DTracePlatform", "DTraceSystem"]),
        .testTarget(name: "DTraceLibraryTests", dependencies: ["DTraceLibrary", "DTraceSession", "DTraceConsumer", "DTraceSystem", "DTraceCodegen", "DTraceBPF", "DTraceIR", "DTraceLanguage"]),
        .testTarget(name: "DTraceConsumerTests", dependencies: ["DTraceConsumer", "DTraceIR"]),
        .testTarget(name: "DTraceSessionTests", dependencies: ["DTraceSession", "DTraceLibrary", "DTraceProviders", "DTraceConsumer", "DTraceSystem", "DTraceLanguage", "DTraceIR"]),
        .testTarget(name: "DTracePlatformTests", dependencies: ["DTracePlatform", "DTraceSystem"], exclude: ["Fixtures"]),
        .testTarget(
            name: "DTraceCLITests",
            dependencies: ["DTraceCLI", "DTraceLibrary", "DTraceSession", "DTraceProviders", "DTraceConsumer", "DTraceCodegen", "DTraceBPF", "DTracePlatform", "DTraceLanguage", "DTraceIR", "DTraceSystem", "DTraceELF", "dtrace"],
            exclude: ["Conformance"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
