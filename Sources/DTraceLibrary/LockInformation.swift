// DTraceLibrary/LockInformation: what the lockstat probes' arguments need (lockstat.d):
// RW_WRITER and RW_READER, the values of rw-spin's and rw-block's args[2], and the
// kernel's lock types the probes' args[0] point to that are typedefs there: spinlock_t
// is struct spinlock; rwlock_t, a struct with no name around the architecture's
// queued rwlock, is named by that lock (struct qrwlock, its one member on x86 and arm64,
// at the same address).

public struct LockInformation: LibraryDeclarations {
    public init() {}
    public var source: String {
        """
        typedef struct spinlock spinlock_t;
        typedef struct qrwlock rwlock_t;

        inline int RW_WRITER = 0x00;
        inline int RW_READER = 0x01;
        """
    }
}
