// DTraceLanguage/KernelTypeSource: where D finds the kernel's own types (`struct
// task_struct`, `struct sock`, typedefs such as `u64`) when a script names one it has
// not declared itself. DTraceProviders answers from the kernel's BTF; the compiler asks
// only for names it cannot resolve otherwise.

public protocol KernelTypeSource: AnyObject {
    /// The kernel's type by its C name: "struct task_struct", "union bpf_attr",
    /// "enum pid_type", or a typedef name ("u64"); nil when the kernel has none.
    func kernelType(named name: String) -> DType?
}
