// DTraceLanguage/KernelTypeSource: where D finds the kernel's own types (`struct
// task_struct`, `struct sock`, typedefs such as `u64`) when a script names one it has
// not declared itself. DTraceProviders answers from the kernel's BTF; the compiler asks
// only for names it cannot resolve otherwise.

public protocol KernelTypeSource: AnyObject {
    /// The kernel's type by its C name: "struct task_struct", "union bpf_attr",
    /// "enum pid_type", or a typedef name ("u64"); nil when the kernel has none.
    func kernelType(named name: String) -> DType?
    /// "struct X" or "union X" as a type that looks the kernel up only when first used
    /// (and is then the same type kernelType(named:) gives), for declarations that may
    /// never be used: the D library's.
    func deferredType(named name: String) -> CompositeType
}
