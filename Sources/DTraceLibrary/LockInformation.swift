// DTraceLibrary/LockInformation: what the lockstat probes' arguments need (lockstat.d):
// RW_WRITER and RW_READER, the values of rw-spin's and rw-block's args[2].

public struct LockInformation: LibraryDeclarations {
    public init() {}
    public var source: String {
        """
        inline int RW_WRITER = 0x00;
        inline int RW_READER = 0x01;
        """
    }
}
