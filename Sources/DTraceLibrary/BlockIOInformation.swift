// DTraceLibrary/BlockIOInformation: bufinfo_t, devinfo_t and fileinfo_t — a block I/O,
// the device it is for and the file it is of, as DTrace describes them (io.d) — with
// their translators from the kernel's struct request (the io provider's probes stand on
// the block layer's request tracepoints) and fileinfo_t from struct file. Members and
// B_* flags follow Oracle's DTrace for Linux:
//
// - b_flags: B_WRITE when the request's operation writes (REQ_OP_* odd: write, discard,
//   write-zeroes...) or flushes the device's cache (REQ_OP_FLUSH: 0 bytes, as Oracle's
//   flush bios are 0-byte writes), else B_READ; B_ASYNC unless the request is REQ_SYNC
//   (Oracle's rule); B_ERROR at io:::done when the kernel failed it.
// - b_bcount and b_bufsize: the request's bytes; b_blkno and b_lblkno its first
//   512-byte sector on the whole disk; b_resid at io:::done the bytes the completion
//   left undone; b_error at io:::done EIO when the request failed (the kernel's
//   blk_status_t is arg1); b_iodone the first bio's completion routine; b_edev the
//   device of the partition (or disk) the I/O is for, in the kernel's encoding (major
//   in the bits above 20), as Oracle's.
// - dev_major/dev_minor: that device's numbers (stat(2)'s st_rdev of its /dev node);
//   dev_statname its kernel name (sda, sda1, loop0, nvme0n1p1, vda); dev_pathname
//   "/dev/" and that name; dev_name the driver of the disk's parent device, else the
//   module of its block operations, else "<none>" (built-in loop); dev_instance 0.
// - fileinfo_t: the kernel does not say from a request which file an I/O is of, so the
//   io probes' args[2] says "<unknown>" (as Oracle's translator from a buffer head
//   does); from a struct file, its name, offset, flags and file system.

public struct BlockIOInformation: LibraryDeclarations {
    public init() {}

    /// `member(device)` of the block device an I/O is for — the first bio's (a
    /// partition's, when the I/O is through one), else the disk's own — or `otherwise`
    /// for a request of a queue with no disk. Each way names its device where it tests
    /// it, so a clause reads the request's pointers once (ValueSharing): the common way
    /// costs two reads before the member's own.
    static func onDevice(_ member: (String) -> String, otherwise: String) -> String {
        "(R->bio && R->bio->bi_bdev ? \(member("R->bio->bi_bdev")) : R->q->disk && R->q->disk->part0 ? \(member("R->q->disk->part0")) : \(otherwise))"
    }
    static let disk = "(R->q->disk)"
    /// Whether the firing is io:::done (block_rq_complete: arg1 the status, arg2 the
    /// bytes completed).
    static let done = "(probename == \"done\")"

    public var source: String {
        """
        typedef long long loff_t;

        typedef struct bufinfo {
        	int b_flags;
        	size_t b_bcount;
        	caddr_t b_addr;
        	uint64_t b_lblkno;
        	uint64_t b_blkno;
        	size_t b_resid;
        	size_t b_bufsize;
        	caddr_t b_iodone;
        	int b_error;
        	dev_t b_edev;
        } bufinfo_t;

        inline int B_BUSY = 0x000001;
        inline int B_DONE = 0x000002;
        inline int B_ERROR = 0x000004;
        inline int B_PAGEIO = 0x000010;
        inline int B_PHYS = 0x000020;
        inline int B_READ = 0x000040;
        inline int B_WRITE = 0x000100;
        inline int B_ASYNC = 0x000400;

        translator bufinfo_t < struct request *R > {
        	b_flags = ((R->cmd_flags & 0x1) || (R->cmd_flags & 0xff) == 2 ? B_WRITE : B_READ) |
        		  ((R->cmd_flags & 0x800) ? 0 : B_ASYNC) |
        		  (\(Self.done) && arg1 != 0 ? B_ERROR : 0);
        	b_bcount = R->__data_len;
        	b_addr = 0;
        	b_lblkno = R->__sector;
        	b_blkno = R->__sector;
        	b_resid = \(Self.done) && R->__data_len > arg2 ? R->__data_len - arg2 : 0;
        	b_bufsize = R->__data_len;
        	b_iodone = R->bio ? (caddr_t)R->bio->bi_end_io : 0;
        	b_error = \(Self.done) && arg1 != 0 ? 5 : 0;
        	b_edev = \(Self.onDevice({ "\($0)->bd_dev" }, otherwise: "0"));
        };

        /*
         * A block device's name as the kernel gives it (its kobject's): a disk's name has
         * at most 31 characters (DISK_NAME_LEN), a partition's adds a "p" and at most 3
         * digits (DISK_MAX_PARTS 256). Read through this view it is a string of known
         * bound (47 characters and a NUL), so an aggregation keyed by it hashes 48 bytes, not strsize.
         */
        struct __dt_device_name {
        	char dn_name[47];
        };

        typedef struct devinfo {
        	int dev_major;
        	int dev_minor;
        	int dev_instance;
        	string dev_name;
        	string dev_statname;
        	string dev_pathname;
        } devinfo_t;

        translator devinfo_t < struct request *R > {
        	dev_major = \(Self.onDevice({ "\($0)->bd_dev >> 20" }, otherwise: "0"));
        	dev_minor = \(Self.onDevice({ "(\($0)->bd_dev & 0xfffff)" }, otherwise: "0"));
        	dev_instance = 0;
        	dev_name = !\(Self.disk) ? "<none>" :
        		   \(Self.disk)->part0->bd_device.parent && \(Self.disk)->part0->bd_device.parent->driver ?
        		   stringof(\(Self.disk)->part0->bd_device.parent->driver->name) :
        		   \(Self.disk)->fops->owner ? stringof(\(Self.disk)->fops->owner->name) : "<none>";
        	dev_statname = \(Self.onDevice({ "stringof(((struct __dt_device_name *)\($0)->bd_device.kobj.name)->dn_name)" }, otherwise: "\"<none>\""));
        	dev_pathname = \(Self.onDevice({ "strjoin(\"/dev/\", stringof(((struct __dt_device_name *)\($0)->bd_device.kobj.name)->dn_name))" }, otherwise: "\"<none>\""));
        };

        typedef struct fileinfo {
        	string fi_name;
        	string fi_dirname;
        	string fi_pathname;
        	loff_t fi_offset;
        	string fi_fs;
        	string fi_mount;
        	int fi_oflags;
        } fileinfo_t;

        translator fileinfo_t < struct request *R > {
        	fi_name = "<unknown>";
        	fi_dirname = "<unknown>";
        	fi_pathname = "<unknown>";
        	fi_offset = 0;
        	fi_fs = "<unknown>";
        	fi_mount = "<unknown>";
        	fi_oflags = 0;
        };

        /* open(2)'s flags, as Oracle's io.d gives them (with fi_oflags). */
        inline int O_ACCMODE = 0003;
        inline int O_RDONLY = 00;
        inline int O_WRONLY = 01;
        inline int O_RDWR = 02;
        inline int O_CREAT = 00000100;
        inline int O_EXCL = 00000200;
        inline int O_NOCTTY = 00000400;
        inline int O_TRUNC = 00001000;
        inline int O_APPEND = 00002000;
        inline int O_NONBLOCK = 00004000;
        inline int O_NDELAY = 00004000;
        inline int O_SYNC = (04000000|010000);
        inline int O_FSYNC = (04000000|010000);
        inline int O_ASYNC = 020000;
        inline int O_DIRECTORY = 0200000;
        inline int O_NOFOLLOW = 0400000;
        inline int O_CLOEXEC = 02000000;
        inline int O_DSYNC = 010000;
        inline int O_RSYNC = (04000000|010000);

        translator fileinfo_t < struct file *F > {
        	fi_name = F == NULL ? "<none>" : stringof(F->f_path.dentry->d_name.name);
        	fi_dirname = F == NULL ? "<none>" : ".";
        	fi_pathname = F == NULL ? "<none>" : "<unknown>";
        	fi_offset = F == NULL ? 0 : F->f_pos;
        	fi_fs = F == NULL ? "<none>" : stringof(F->f_path.mnt->mnt_sb->s_type->name);
        	fi_mount = F == NULL ? "<none>" : "<unknown>";
        	fi_oflags = F == NULL ? 0 : F->f_flags;
        };

        /*
         * The current thread's open files by descriptor, as Oracle's io.d gives them
         * (a descriptor not open, or out of range, is NULL: "<none>"). A file's path is
         * not known here (d_path() is not allowed on these probes): fi_pathname is
         * "<unknown>" and fi_dirname its dirname(), ".", as Oracle's shows them.
         */
        inline fileinfo_t fds[int fd] = xlate <fileinfo_t> (
        	fd >= 0 && fd < curthread->files->fdt->max_fds ? curthread->files->fdt->fd[fd] : NULL);
        """
    }
}
